-- CreateEnum
CREATE TYPE "VrrpAuthType" AS ENUM ('PASS', 'AH');

-- AlterTable
ALTER TABLE "amphora" ADD COLUMN     "vrrp_id" INTEGER,
ADD COLUMN     "vrrp_interface" VARCHAR(16);

-- CreateTable
CREATE TABLE "vrrp_group" (
    "load_balancer_id" UUID NOT NULL,
    "vrrp_group_name" VARCHAR(36) NOT NULL,
    "vrrp_auth_type" "VrrpAuthType" NOT NULL,
    "vrrp_auth_pass" VARCHAR(36) NOT NULL,
    "advert_int" INTEGER NOT NULL,

    CONSTRAINT "vrrp_group_pkey" PRIMARY KEY ("load_balancer_id")
);

-- AddForeignKey
ALTER TABLE "vrrp_group" ADD CONSTRAINT "vrrp_group_load_balancer_id_fkey" FOREIGN KEY ("load_balancer_id") REFERENCES "load_balancer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
