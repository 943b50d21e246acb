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
): Promise<Response> {
  const html = await (await fetch(`${baseUrl}${path}`, { headers })).text();
  const form = html.slice(html.indexOf("<form"), html.indexOf("</form>"));
  const hidden = [...form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g)];
  if (!hidden.some(([, name]) => name?.startsWith("$ACTION_ID_"))) throw new Error(`no server action form on ${path}`);
  const body = new FormData();
  for (const [, name, value] of hidden) body.append(name as string, value ?? "");
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return fetch(`${baseUrl}${path}`, { method: "POST", body, headers, redirect: "manual" });
}
