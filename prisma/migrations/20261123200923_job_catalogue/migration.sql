-- AlterTable
ALTER TABLE "QueueStat" DROP CONSTRAINT "QueueStat_pkey",
DROP COLUMN "running",
ADD COLUMN     "orgId" TEXT NOT NULL,
ADD COLUMN     "started" INTEGER NOT NULL DEFAULT 0,
ADD CONSTRAINT "QueueStat_pkey" PRIMARY KEY ("minute", "orgId", "type");

-- CreateTable
CREATE TABLE "MailboxMessage" (
    "id" UUID NOT NULL,
    "orgId" TEXT NOT NULL,
    "jobId" UUID,
    "from" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "html" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MailboxMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Document" (
    "id" UUID NOT NULL,
    "orgId" TEXT NOT NULL,
    "jobId" UUID,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Document_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CreditAccount" (
    "orgId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "balance" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CreditAccount_pkey" PRIMARY KEY ("orgId","userId")
);

-- CreateIndex
CREATE INDEX "MailboxMessage_orgId_createdAt_idx" ON "MailboxMessage"("orgId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Document_orgId_kind_createdAt_idx" ON "Document"("orgId", "kind", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "QueueStat_orgId_minute_idx" ON "QueueStat"("orgId", "minute");
