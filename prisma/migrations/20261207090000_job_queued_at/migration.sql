-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "queuedAt" TIMESTAMP(3);
