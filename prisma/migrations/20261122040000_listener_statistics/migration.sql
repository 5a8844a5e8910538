-- CreateTable
CREATE TABLE "listener_statistics" (
    "listener_id" UUID NOT NULL,
    "amphora_id" UUID NOT NULL,
    "bytes_in" BIGINT NOT NULL,
    "bytes_out" BIGINT NOT NULL,
    "active_connections" INTEGER NOT NULL,
    "total_connections" BIGINT NOT NULL,
    "request_errors" BIGINT NOT NULL,

    CONSTRAINT "listener_statistics_pkey" PRIMARY KEY ("listener_id","amphora_id")
);

-- CreateIndex
CREATE INDEX "listener_statistics_amphora_id_idx" ON "listener_statistics"("amphora_id");

-- AddForeignKey
ALTER TABLE "listener_statistics" ADD CONSTRAINT "listener_statistics_listener_id_fkey" FOREIGN KEY ("listener_id") REFERENCES "listener"("id") ON DELETE CASCADE ON UPDATE CASCADE;
