export interface JsonCall {
  /** Sent as `authorization: Bearer …`. */
  token?: string;
  cookie?: string;
  /** Sent as a JSON body (and the method defaults to POST). */
  json?: unknown;
  /** A raw body, for bodies that are not JSON on purpose. */
  body?: string;
  method?: string;
  headers?: Record<string, string>;
}

export interface JsonAnswer {
  status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever shape the route answered
  body: any;
  headers: Headers;
}

/** One HTTP request as a test makes it: no redirects followed (a 3xx is an answer to assert on), JSON both ways. */
export async function callJson(url: string, opts: JsonCall = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, {
    method: opts.method ?? (opts.json !== undefined ? "POST" : "GET"),
    headers,
    body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body,
    redirect: "manual",
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text is the body
  }
  return { status: res.status, body, headers: res.headers };
}
