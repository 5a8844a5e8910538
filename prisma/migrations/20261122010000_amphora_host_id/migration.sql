-- AlterTable
ALTER TABLE "amphora" ADD COLUMN     "host_id" VARCHAR(255);
