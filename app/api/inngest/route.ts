import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/index";
import { refuseReplayedSignatures } from "@/server/http/signature-replay";

// The Inngest endpoint: the engine (or Inngest Cloud) syncs with PUT and runs steps with POST. A signed POST is
// accepted once: a copy sent again within the signature's window would run its step again.
const handlers = serve({ client: inngest, functions });
export const { GET, PUT } = handlers;
export const POST = refuseReplayedSignatures(handlers.POST);
