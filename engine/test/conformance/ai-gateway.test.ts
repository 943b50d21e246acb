import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, type Rig, rig } from "../support/harness.js";

/** step.ai.infer: the SDK hands the provider call to the engine (AIGateway), which makes it and memoizes the JSON. */
describe("AIGateway (step.ai.infer)", () => {
  let r: Rig;
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = [];
  const provider = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: "cmpl-1", choices: [{ message: { role: "assistant", content: "hello from the local model" } }] }));
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const port = (provider.address() as AddressInfo).port;
    const baseUrl = `http://127.0.0.1:${port}/v1/`;
    r = await rig(
      "ai",
      (inngest) => [
        inngest.createFunction({ id: "ask", triggers: [{ event: "ai/ask" }] }, async ({ step }) => {
          const res = await step.ai.infer("ask-model", {
            model: step.ai.models.openai({ model: "local-model", apiKey: "sk-local", baseUrl }),
            body: { messages: [{ role: "user", content: "hi" }] },
          });
          return (res as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content;
        }),
      ],
      { outboundAllow: [`127.0.0.1:${port}`] },
    );
  });
  afterAll(async () => {
    await r?.stop();
    provider.close();
  });

  it("calls the provider from the engine and returns its answer to the function", async () => {
    await r.client.send({ name: "ai/ask", data: {} });
    const [run] = await endedRuns(r.engine, "ai-ask", 1);
    expect(run?.status, JSON.stringify(run?.error)).toBe("Completed");
    expect(run?.output).toBe("hello from the local model");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.url).toBe("/v1/chat/completions");
    expect(seen[0]?.headers.authorization).toBe("Bearer sk-local");
    expect(JSON.parse(seen[0]?.body ?? "{}")).toMatchObject({ model: "local-model", messages: [{ role: "user", content: "hi" }] });
  });
});
