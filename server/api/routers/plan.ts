import type { z } from "zod";
import { AppError } from "../../errors";
import { getPlan, listPlans, setPlan, type setPlanInput } from "../../services/plans/plans";
import { protectedProcedure, router } from "../trpc";

/** Refused to anyone but an operator: a plan is what the installation grants an organization. */
function assertOperator(operator: boolean, what: string): void {
  if (!operator) throw new AppError("FORBIDDEN", `only an operator can ${what}: plans are set for the installation, not by a tenant`);
}

/** Organizations' plans: a member sees its own organization's; an operator lists and sets anyone's. */
export const planRouter = router({
  mine: protectedProcedure.query(({ ctx }) => getPlan(ctx.scope.orgId)),
  list: protectedProcedure.query(({ ctx }) => {
    assertOperator(ctx.operator, "list the organizations' plans");
    return listPlans();
  }),
  // Checked by setPlan itself, so a bad value is a 400 naming the field, as on every door.
  set: protectedProcedure
    .input((raw: unknown) => raw as z.input<typeof setPlanInput>)
    .mutation(({ ctx, input }) => {
      assertOperator(ctx.operator, "set a plan");
      return setPlan(ctx.scope, input);
    }),
});
