-- AlterEnum
ALTER TYPE "StepStatus" ADD VALUE 'CANCELLED';
