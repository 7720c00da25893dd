/**
 * The signing recorder in front of a plain HTTP upstream: real SDK clients signing with keys drawn for the run, the
 * service and operation each call names, the fingerprint of the key that signed it, and requests and answers passed
 * through unchanged.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { accessKeyFingerprint, type SigningRecorder, startSigningRecorder } from "@keyless/testing";

const key = () => ({
  accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
  secretAccessKey: randomBytes(20).toString("hex"),
});

describe("harness signing recorder", () => {
  let upstream: http.Server;
  let seen: { method: string; url: string; host: string; body: string }[];
  let recorder: SigningRecorder;

  beforeEach(async () => {
    seen = [];
    upstream = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", host: req.headers.host ?? "", body });
        if (req.headers["x-amz-target"]) {
          res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
          res.end(JSON.stringify({ TableNames: ["answered-upstream"] }));
        } else if (req.url?.startsWith("/bucket/")) {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end("object body");
        } else {
          res.writeHead(200, { "content-type": "text/xml" });
          res.end(
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::000000000000:assumed-role/r/s</Arn>" +
              "<UserId>X</UserId><Account>000000000000</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
          );
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", () => resolve()));
    recorder = await startSigningRecorder({
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    });
  });

  afterEach(async () => {
    await recorder.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it("records each call's service, operation and the fingerprint of the key that signed it, and forwards it", async () => {
    const first = key();
    const second = key();
    const config = { endpoint: recorder.endpoint, region: "us-east-1" };
    const who = await new STSClient({ ...config, credentials: first }).send(new GetCallerIdentityCommand({}));
    const tables = await new DynamoDBClient({ ...config, credentials: second }).send(new ListTablesCommand({}));

    // The answers came from the upstream, unchanged.
    assert.equal(who.Arn, "arn:aws:sts::000000000000:assumed-role/r/s");
    assert.deepEqual(tables.TableNames, ["answered-upstream"]);
    assert.deepEqual(recorder.calls, [
      { service: "sts", operation: "GetCallerIdentity", keyFingerprint: accessKeyFingerprint(first.accessKeyId) },
      {
        service: "dynamodb",
        operation: "DynamoDB_20120810.ListTables",
        keyFingerprint: accessKeyFingerprint(second.accessKeyId),
      },
    ]);
    // The request went on as it came: the body, and the Host the client signed.
    assert.equal(seen[0]?.body, "Action=GetCallerIdentity&Version=2011-06-15");
    assert.equal(seen[0]?.host, new URL(recorder.endpoint).host);
    assert.notEqual(recorder.calls[0]?.keyFingerprint, recorder.calls[1]?.keyFingerprint);
  });

  it("reads the key of a presigned URL, keeps its signature out of the operation, and marks unsigned calls", async () => {
    const signer = key();
    // A presigned URL's shape (query authentication); the upstream here verifies no signature.
    const query = new URLSearchParams({
      "x-id": "GetObject",
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": `${signer.accessKeyId}/20260101/us-east-1/s3/aws4_request`,
      "X-Amz-Signature": randomBytes(32).toString("hex"),
    });
    const url = `${recorder.endpoint}/bucket/daily/a.txt?${query}`;
    assert.equal(await (await fetch(url)).text(), "object body");
    await fetch(`${recorder.endpoint}/bucket/daily/b.txt`);

    assert.deepEqual(recorder.calls, [
      {
        service: "s3",
        operation: "GET /bucket/daily/a.txt?x-id=GetObject",
        keyFingerprint: accessKeyFingerprint(signer.accessKeyId),
      },
      { service: undefined, operation: "GET /bucket/daily/b.txt", keyFingerprint: undefined },
    ]);
    // The upstream got the presigned query as sent, signature included.
    assert.match(seen[0]?.url ?? "", /X-Amz-Signature=/);
    assert.ok(!JSON.stringify(recorder.calls).includes(signer.accessKeyId), "the key id itself is never recorded");
  });

  it("refuses an upstream that is not an http URL", async () => {
    await assert.rejects(startSigningRecorder({ upstream: "localhost:4566" }), /`upstream` must be an http URL/);
  });
});
