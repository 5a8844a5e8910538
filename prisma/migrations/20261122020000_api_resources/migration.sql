-- CreateEnum
CREATE TYPE "OpenstackFlavorStatus" AS ENUM ('UNREGISTERED', 'REGISTERING', 'REGISTERED', 'DELETING', 'ERROR');

-- CreateTable
CREATE TABLE "quotas" (
    "project_id" VARCHAR(36) NOT NULL,
    "load_balancer" INTEGER,
    "listener" INTEGER,
    "pool" INTEGER,
    "health_monitor" INTEGER,
    "member" INTEGER,
    "l7policy" INTEGER,
    "l7rule" INTEGER,

    CONSTRAINT "quotas_pkey" PRIMARY KEY ("project_id")
);

-- CreateTable
CREATE TABLE "availability_zone_profile" (
    "id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "provider_name" VARCHAR(255) NOT NULL,
    "availability_zone_data" TEXT NOT NULL,

    CONSTRAINT "availability_zone_profile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "availability_zone" (
    "name" VARCHAR(255) NOT NULL,
    "description" VARCHAR(255),
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "availability_zone_profile_id" UUID NOT NULL,

    CONSTRAINT "availability_zone_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "openstack_flavors" (
    "id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "ram" INTEGER NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "disk" INTEGER NOT NULL,
    "cpu_speed" INTEGER,
    "memory_speed" INTEGER,
    "cpu_arch" VARCHAR(32),
    "properties" JSONB NOT NULL DEFAULT '{}',
    "nova_flavor_id" VARCHAR(255),
    "status" "OpenstackFlavorStatus" NOT NULL DEFAULT 'UNREGISTERED',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),

    CONSTRAINT "openstack_flavors_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "openstack_flavors_name_key" ON "openstack_flavors"("name");

-- AddForeignKey
ALTER TABLE "availability_zone" ADD CONSTRAINT "availability_zone_availability_zone_profile_id_fkey" FOREIGN KEY ("availability_zone_profile_id") REFERENCES "availability_zone_profile"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
