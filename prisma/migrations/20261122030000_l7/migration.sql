-- CreateEnum
CREATE TYPE "L7PolicyAction" AS ENUM ('REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX');

-- CreateEnum
CREATE TYPE "L7RuleType" AS ENUM ('HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD');

-- CreateEnum
CREATE TYPE "L7RuleCompareType" AS ENUM ('REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO');

-- CreateTable
CREATE TABLE "l7policy" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "listener_id" UUID NOT NULL,
    "name" VARCHAR(255),
    "description" VARCHAR(255),
    "action" "L7PolicyAction" NOT NULL,
    "position" INTEGER NOT NULL,
    "redirect_pool_id" UUID,
    "redirect_url" VARCHAR(255),
    "redirect_prefix" VARCHAR(255),
    "redirect_http_code" INTEGER,
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "l7policy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "l7rule" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "l7policy_id" UUID NOT NULL,
    "type" "L7RuleType" NOT NULL,
    "compare_type" "L7RuleCompareType" NOT NULL,
    "key" VARCHAR(255),
    "value" VARCHAR(255) NOT NULL,
    "invert" BOOLEAN NOT NULL DEFAULT false,
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "l7rule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "l7policy_listener_id_position_idx" ON "l7policy"("listener_id", "position");

-- CreateIndex
CREATE INDEX "l7policy_redirect_pool_id_idx" ON "l7policy"("redirect_pool_id");

-- CreateIndex
CREATE INDEX "l7policy_project_id_idx" ON "l7policy"("project_id");

-- CreateIndex
CREATE INDEX "l7rule_l7policy_id_idx" ON "l7rule"("l7policy_id");

-- CreateIndex
CREATE INDEX "l7rule_project_id_idx" ON "l7rule"("project_id");

-- AddForeignKey
ALTER TABLE "l7policy" ADD CONSTRAINT "l7policy_listener_id_fkey" FOREIGN KEY ("listener_id") REFERENCES "listener"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "l7policy" ADD CONSTRAINT "l7policy_redirect_pool_id_fkey" FOREIGN KEY ("redirect_pool_id") REFERENCES "pool"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "l7rule" ADD CONSTRAINT "l7rule_l7policy_id_fkey" FOREIGN KEY ("l7policy_id") REFERENCES "l7policy"("id") ON DELETE CASCADE ON UPDATE CASCADE;
