/**
 * Submits the first `<form>` of a server-rendered page the way a browser without JavaScript does: React renders
 * a server action form with hidden `$ACTION_ID_…` fields, and posting them (plus the visible fields) to the page
 * runs the action. Returns the response without following its redirect.
 */
export async function submitActionForm(
  baseUrl: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  /** Headers for the POST itself, when they differ from the page's (e.g. posting signed out). */
  postHeaders: Record<string, string> = headers,
): Promise<Response> {
  const html = await (await fetch(`${baseUrl}${path}`, { headers })).text();
  const form = html
    .split("<form")
    .slice(1)
    .map((f) => f.slice(0, f.indexOf("</form>")))
    .find((f) => f.includes('name="$ACTION_ID_'));
  if (!form) throw new Error(`no server action form on ${path}`);
  const hidden = [...form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)];
  const body = new FormData();
  for (const [, name, value] of hidden) body.append(name as string, value ?? "");
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return fetch(`${baseUrl}${path}`, { method: "POST", body, headers: postHeaders, redirect: "manual" });
}
