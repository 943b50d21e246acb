-- CreateIndex
CREATE INDEX "Job_runId_idx" ON "Job"("runId");

-- CreateIndex
CREATE INDEX "StepLog_orgId_id_idx" ON "StepLog"("orgId", "id" DESC);
