-- CreateEnum
CREATE TYPE "ProvisioningStatus" AS ENUM ('ACTIVE', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE', 'DELETED', 'ERROR');

-- CreateEnum
CREATE TYPE "OperatingStatus" AS ENUM ('ONLINE', 'OFFLINE', 'DEGRADED', 'ERROR', 'NO_MONITOR', 'DRAINING');

-- CreateEnum
CREATE TYPE "AmphoraStatus" AS ENUM ('BOOTING', 'READY', 'ALLOCATED', 'PENDING_CREATE', 'PENDING_DELETE', 'DELETED', 'ERROR', 'FAILOVER_STOPPED');

-- CreateEnum
CREATE TYPE "AmphoraRole" AS ENUM ('STANDALONE', 'MASTER', 'BACKUP');

-- CreateEnum
CREATE TYPE "Topology" AS ENUM ('SINGLE', 'ACTIVE_STANDBY');

-- CreateEnum
CREATE TYPE "ListenerProtocol" AS ENUM ('HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS');

-- CreateEnum
CREATE TYPE "PoolProtocol" AS ENUM ('HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'UDP', 'SCTP');

-- CreateEnum
CREATE TYPE "LbAlgorithm" AS ENUM ('ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT');

-- CreateEnum
CREATE TYPE "HealthMonitorType" AS ENUM ('HTTP', 'HTTPS', 'PING', 'TCP', 'TLS_HELLO', 'UDP_CONNECT', 'SCTP');

-- CreateTable
CREATE TABLE "load_balancer" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "name" VARCHAR(255),
    "description" VARCHAR(255),
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "topology" "Topology" NOT NULL DEFAULT 'SINGLE',
    "provider" VARCHAR(64) NOT NULL DEFAULT 'amphora',
    "flavor_id" UUID,
    "availability_zone" VARCHAR(255),
    "server_group_id" VARCHAR(36),
    "vip_address" VARCHAR(64),
    "vip_port_id" VARCHAR(36),
    "vip_subnet_id" VARCHAR(36),
    "vip_network_id" VARCHAR(36),
    "vip_qos_policy_id" VARCHAR(36),
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "load_balancer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "amphora" (
    "id" UUID NOT NULL,
    "compute_id" VARCHAR(36),
    "status" "AmphoraStatus" NOT NULL,
    "load_balancer_id" UUID,
    "role" "AmphoraRole",
    "lb_network_ip" VARCHAR(64),
    "vrrp_ip" VARCHAR(64),
    "ha_ip" VARCHAR(64),
    "vrrp_port_id" VARCHAR(36),
    "ha_port_id" VARCHAR(36),
    "vrrp_priority" INTEGER,
    "compute_flavor" VARCHAR(255),
    "image_id" VARCHAR(36),
    "cached_zone" VARCHAR(255),
    "cert_expiration" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "amphora_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "amphora_health" (
    "amphora_id" UUID NOT NULL,
    "last_update" TIMESTAMP(3) NOT NULL,
    "busy" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "amphora_health_pkey" PRIMARY KEY ("amphora_id")
);

-- CreateTable
CREATE TABLE "listener" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "name" VARCHAR(255),
    "description" VARCHAR(255),
    "protocol" "ListenerProtocol" NOT NULL,
    "protocol_port" INTEGER NOT NULL,
    "connection_limit" INTEGER NOT NULL DEFAULT -1,
    "load_balancer_id" UUID NOT NULL,
    "default_pool_id" UUID,
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "timeout_client_data" INTEGER NOT NULL DEFAULT 50000,
    "timeout_member_connect" INTEGER NOT NULL DEFAULT 5000,
    "timeout_member_data" INTEGER NOT NULL DEFAULT 50000,
    "timeout_tcp_inspect" INTEGER NOT NULL DEFAULT 0,
    "insert_headers" JSONB NOT NULL DEFAULT '{}',
    "allowed_cidrs" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "default_tls_container_ref" VARCHAR(255),
    "sni_container_refs" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "client_authentication" VARCHAR(10) NOT NULL DEFAULT 'NONE',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "listener_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pool" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "name" VARCHAR(255),
    "description" VARCHAR(255),
    "protocol" "PoolProtocol" NOT NULL,
    "lb_algorithm" "LbAlgorithm" NOT NULL,
    "load_balancer_id" UUID NOT NULL,
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "session_persistence" JSONB,
    "tls_enabled" BOOLEAN NOT NULL DEFAULT false,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "pool_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "member" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "pool_id" UUID NOT NULL,
    "name" VARCHAR(255),
    "subnet_id" VARCHAR(36),
    "ip_address" VARCHAR(64) NOT NULL,
    "protocol_port" INTEGER NOT NULL,
    "weight" INTEGER NOT NULL DEFAULT 1,
    "backup" BOOLEAN NOT NULL DEFAULT false,
    "monitor_address" VARCHAR(64),
    "monitor_port" INTEGER,
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "health_monitor" (
    "id" UUID NOT NULL,
    "project_id" VARCHAR(36) NOT NULL,
    "pool_id" UUID NOT NULL,
    "name" VARCHAR(255),
    "type" "HealthMonitorType" NOT NULL,
    "delay" INTEGER NOT NULL,
    "timeout" INTEGER NOT NULL,
    "max_retries" INTEGER NOT NULL,
    "max_retries_down" INTEGER NOT NULL DEFAULT 3,
    "http_method" VARCHAR(16),
    "url_path" VARCHAR(2048),
    "expected_codes" VARCHAR(64),
    "http_version" DECIMAL(2,1),
    "domain_name" VARCHAR(255),
    "provisioning_status" "ProvisioningStatus" NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "health_monitor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "flavor_profile" (
    "id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "provider_name" VARCHAR(255) NOT NULL,
    "flavor_data" TEXT NOT NULL,

    CONSTRAINT "flavor_profile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "flavor" (
    "id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "description" VARCHAR(255),
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "flavor_profile_id" UUID NOT NULL,

    CONSTRAINT "flavor_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "load_balancer_project_id_idx" ON "load_balancer"("project_id");

-- CreateIndex
CREATE INDEX "load_balancer_provisioning_status_idx" ON "load_balancer"("provisioning_status");

-- CreateIndex
CREATE INDEX "amphora_load_balancer_id_idx" ON "amphora"("load_balancer_id");

-- CreateIndex
CREATE INDEX "amphora_status_idx" ON "amphora"("status");

-- CreateIndex
CREATE INDEX "listener_project_id_idx" ON "listener"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "listener_load_balancer_id_protocol_protocol_port_key" ON "listener"("load_balancer_id", "protocol", "protocol_port");

-- CreateIndex
CREATE INDEX "pool_load_balancer_id_idx" ON "pool"("load_balancer_id");

-- CreateIndex
CREATE INDEX "pool_project_id_idx" ON "pool"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "member_pool_id_ip_address_protocol_port_key" ON "member"("pool_id", "ip_address", "protocol_port");

-- CreateIndex
CREATE UNIQUE INDEX "health_monitor_pool_id_key" ON "health_monitor"("pool_id");

-- CreateIndex
CREATE UNIQUE INDEX "flavor_name_key" ON "flavor"("name");

-- AddForeignKey
ALTER TABLE "load_balancer" ADD CONSTRAINT "load_balancer_flavor_id_fkey" FOREIGN KEY ("flavor_id") REFERENCES "flavor"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "amphora" ADD CONSTRAINT "amphora_load_balancer_id_fkey" FOREIGN KEY ("load_balancer_id") REFERENCES "load_balancer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "amphora_health" ADD CONSTRAINT "amphora_health_amphora_id_fkey" FOREIGN KEY ("amphora_id") REFERENCES "amphora"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "listener" ADD CONSTRAINT "listener_load_balancer_id_fkey" FOREIGN KEY ("load_balancer_id") REFERENCES "load_balancer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "listener" ADD CONSTRAINT "listener_default_pool_id_fkey" FOREIGN KEY ("default_pool_id") REFERENCES "pool"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pool" ADD CONSTRAINT "pool_load_balancer_id_fkey" FOREIGN KEY ("load_balancer_id") REFERENCES "load_balancer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member" ADD CONSTRAINT "member_pool_id_fkey" FOREIGN KEY ("pool_id") REFERENCES "pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "health_monitor" ADD CONSTRAINT "health_monitor_pool_id_fkey" FOREIGN KEY ("pool_id") REFERENCES "pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "flavor" ADD CONSTRAINT "flavor_flavor_profile_id_fkey" FOREIGN KEY ("flavor_profile_id") REFERENCES "flavor_profile"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
