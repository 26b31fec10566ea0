CREATE SEQUENCE "public"."message_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"session_id" text NOT NULL,
	"key" text NOT NULL,
	"message_id" bigint NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("session_id","key")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"job_id" text PRIMARY KEY NOT NULL,
	"owner_id" text,
	"status" text NOT NULL,
	"percent" double precision NOT NULL,
	"stage" text,
	"message" text,
	"result" jsonb,
	"error" jsonb,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "jobs_status_check" CHECK ("jobs"."status" in ('queued', 'running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"session_id" text NOT NULL,
	"id" bigint NOT NULL,
	"type" text NOT NULL,
	"author_role" text NOT NULL,
	"author_id" text NOT NULL,
	"message" text NOT NULL,
	"meta" jsonb NOT NULL,
	"inserted_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "messages_pkey" PRIMARY KEY("session_id","id")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"current_step" text,
	"coach_id" text,
	"coach_name" text,
	"student_id" text,
	"student_name" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "sessions_status_check" CHECK ("sessions"."status" in ('waiting', 'active', 'paused', 'ended'))
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_message_fk" FOREIGN KEY ("session_id","message_id") REFERENCES "public"."messages"("session_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_session_id_sessions_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("session_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_status_updated_idx" ON "sessions" USING btree ("status","updated_at");