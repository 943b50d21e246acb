import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/index";

// The Inngest endpoint: the engine (or Inngest Cloud) syncs with PUT and runs steps with POST.
export const { GET, POST, PUT } = serve({ client: inngest, functions });
