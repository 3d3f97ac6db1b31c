// Compiled, never run (`npm test` type-checks it): the published declarations must allow
// the README's usage and refuse what the API would refuse.
import Client, {
  APIConnectionError,
  DocsAPIError,
  InvalidRequestError,
  type Page,
  type Resource,
  type RequestLog,
} from "docsapi";

export async function usage(): Promise<void> {
  const client = new Client({ apiKey: "sk_live_x", baseURL: "http://127.0.0.1:8080", maxRetries: 2, timeout: 30000 });

  const created = await client.resources.create({ name: "Q3" }, { idempotencyKey: "k", signal: AbortSignal.timeout(1000) });
  created satisfies Resource;
  await client.resources.update(created.id, { description: null, metadata: { team: null, owner: "" } });
  await client.resources.update(created.id, { metadata: null });
  const page: Page<Resource> = await client.resources.list({ limit: 100 });
  page.has_more satisfies boolean;
  for await (const r of client.resources.list()) r.name satisfies string;
  for await (const entry of client.requests.list({ status: "5xx" })) entry satisfies RequestLog;
  await client.requests.list({ status: "parameter_missing" });
  await client.requests.list({ status: 404 });
  created.lastResponse.requestId satisfies string | null;
  page.lastResponse.httpStatus satisfies number;
  const entry = await client.requests.retrieve("req_1");
  entry.error?.code satisfies string | undefined;
  // @ts-expect-error status is a class, a number or a known error code
  await client.requests.list({ status: "teapot" });
  const key = await client.apiKeys.create({ name: "ci", scopes: ["resources:read"] });
  // Absent from a replayed creation: the type makes callers check.
  key.secret satisfies string | undefined;
  // @ts-expect-error a replay has no secret
  key.secret satisfies string;
  (await client.resources.delete(created.id)).deleted satisfies true;

  try {
    await client.resources.create({ name: "" });
  } catch (err) {
    if (err instanceof InvalidRequestError && err.code === "parameter_missing") console.error(err.param);
    if (err instanceof APIConnectionError) err.cause satisfies unknown;
    if (err instanceof DocsAPIError) {
      err.docUrl satisfies string | null;
      const fields: [string | null, number | null, string | null, Headers] = [err.type, err.httpStatus, err.requestId, err.headers];
      void fields;
    }
  }

  // @ts-expect-error name is required
  await client.resources.create({});
  // @ts-expect-error metadata values on create are strings
  await client.resources.create({ name: "x", metadata: { a: null } });
  // @ts-expect-error metadata values are strings or null
  await client.resources.update("res_1", { metadata: { a: 1 } });
  // @ts-expect-error scopes are a closed set
  await client.apiKeys.create({ name: "x", scopes: ["everything"] });
  // @ts-expect-error the test hooks are not part of the public options
  new Client({ apiKey: "k", sleep: async () => {} });
}
