import { z } from "zod";
import { creditBalance, grantCredits, grantInput } from "../../services/credits/credits";
import { getDocument, listDocuments } from "../../services/documents/list-documents";
import { listMailbox } from "../../services/email/deliver-email";
import { protectedProcedure, router } from "../trpc";

/** What jobs leave behind for the organization: the local mailbox, documents, and users' credits. */
export const mailboxRouter = router({
  list: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).optional())
    .query(({ ctx, input }) => listMailbox(ctx.scope.orgId, input?.limit)),
});

export const documentRouter = router({
  list: protectedProcedure
    .input(
      z
        .object({
          kind: z.string().max(100).optional(),
          jobId: z.uuid("must be a job id").optional(),
          limit: z.number().int().min(1).max(200).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listDocuments(ctx.scope, input ?? {})),
  byId: protectedProcedure.input(z.object({ id: z.string().max(100) })).query(({ ctx, input }) => getDocument(ctx.scope, input.id)),
});

export const creditRouter = router({
  balance: protectedProcedure.query(async ({ ctx }) => ({
    userId: ctx.scope.userId,
    balance: await creditBalance(ctx.scope.orgId, ctx.scope.userId),
  })),
  grant: protectedProcedure.input(grantInput).mutation(({ ctx, input }) => grantCredits(ctx.scope, ctx.operator, input)),
});
