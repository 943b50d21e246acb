import { db } from "../../db";

/** Fills `{{name}}` placeholders; unknown names are left visible so a missing variable is noticed, not hidden. */
export function fillTemplate(template: string, variables: Record<string, string | number | boolean>): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const text = template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => {
    if (Object.hasOwn(variables, name)) return String(variables[name]);
    missing.add(name);
    return whole;
  });
  return { text, missing: [...missing] };
}

export async function storeGeneratedContent(opts: { orgId: string; jobId?: string | null; title: string; text: string }) {
  const doc = await db().document.create({
    data: { orgId: opts.orgId, jobId: opts.jobId ?? null, kind: "content", title: opts.title, content: opts.text },
  });
  return { documentId: doc.id, characters: opts.text.length };
}
