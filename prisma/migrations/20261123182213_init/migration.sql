-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "JobSource" AS ENUM ('UI', 'API', 'TRPC', 'SYSTEM', 'SCHEDULE');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('RUNNING', 'COMPLETED', 'FAILED', 'ERRORED');

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "orgId" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "payload" JSONB NOT NULL,
    "result" JSONB,
    "error" JSONB,
    "idempotencyKey" TEXT,
    "source" "JobSource" NOT NULL,
    "eventId" TEXT,
    "runId" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "replayCount" INTEGER NOT NULL DEFAULT 0,
    "stepsCompleted" INTEGER NOT NULL DEFAULT 0,
    "failureAcknowledgedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "heartbeatAt" TIMESTAMP(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JobStep" (
    "id" UUID NOT NULL,
    "jobId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "status" "StepStatus" NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "durationMs" INTEGER,
    "output" JSONB,
    "error" JSONB,

    CONSTRAINT "JobStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SideEffect" (
    "key" TEXT NOT NULL,
    "jobId" UUID,
    "kind" TEXT NOT NULL,
    "reservedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),
    "detail" JSONB,

    CONSTRAINT "SideEffect_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "QueueStat" (
    "minute" TIMESTAMP(3) NOT NULL,
    "type" TEXT NOT NULL,
    "queued" INTEGER NOT NULL DEFAULT 0,
    "running" INTEGER NOT NULL DEFAULT 0,
    "completed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "p50LatencyMs" INTEGER,
    "p95LatencyMs" INTEGER,

    CONSTRAINT "QueueStat_pkey" PRIMARY KEY ("minute","type")
);

-- CreateIndex
CREATE INDEX "Job_orgId_createdAt_idx" ON "Job"("orgId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Job_orgId_status_createdAt_idx" ON "Job"("orgId", "status", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Job_orgId_type_createdAt_idx" ON "Job"("orgId", "type", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Job_status_heartbeatAt_idx" ON "Job"("status", "heartbeatAt");

-- CreateIndex
CREATE UNIQUE INDEX "Job_orgId_idempotencyKey_key" ON "Job"("orgId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "JobStep_jobId_startedAt_idx" ON "JobStep"("jobId", "startedAt");

-- AddForeignKey
ALTER TABLE "JobStep" ADD CONSTRAINT "JobStep_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
