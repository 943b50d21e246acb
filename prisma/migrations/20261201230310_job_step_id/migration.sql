-- AlterTable
ALTER TABLE "JobStep" ADD COLUMN     "stepId" TEXT;
