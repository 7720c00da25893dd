// mocha --parallel ends its workers with SIGTERM, and a process ended by a signal writes no V8 coverage
// (NODE_V8_COVERAGE, which c8 reads). Exiting on SIGTERM writes it.
process.on("SIGTERM", () => process.exit(143));
