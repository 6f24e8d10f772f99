package io.storystream.ingress;

import io.storystream.common.blob.BlobStore;
import io.storystream.ingress.audit.AuditLog;
import io.storystream.ingress.audit.AuditTrail;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.files.FileCatalog;
import io.storystream.ingress.jobs.JobStatusView;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.common.crypto.TenantKeyring;
import java.time.Clock;

/** The running ingress's parts, for extensions and tests. */
public record IngressParts(Directory directory, FileCatalog files, JobStatusView jobs, BlobStore blobs,
                           EventPublisher publisher, AuditTrail auditTrail, AuditLog auditLog, ApiKeyCodec codec,
                           Clock clock, TenantKeyring keyring) {}
