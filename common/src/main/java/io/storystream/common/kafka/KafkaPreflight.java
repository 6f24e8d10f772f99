package io.storystream.common.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/**
 * A check before a service starts: can its Kafka clients, with the client properties it was given, talk to the
 * cluster? Without it, a client facing a listener that requires SASL or SSL just retries silently until some
 * timeout deep inside a start-up; with it, the service stops at once with what to set.
 */
public final class KafkaPreflight {
  private KafkaPreflight() {}

  /** Thrown when the cluster cannot be used; the message says why and what to configure. */
  public static final class KafkaUnavailableException extends RuntimeException {
    KafkaUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static void check(KafkaSettings kafka, Duration timeout) {
    Properties props = kafka.admin();
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
    String protocol = kafka.clientProperties().getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
    try (Admin admin = Admin.create(props)) {
      admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw explain(kafka, protocol, timeout, e.getCause());
    } catch (TimeoutException e) {
      throw explain(kafka, protocol, timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaUnavailableException("interrupted while checking Kafka", e);
    }
  }

  private static KafkaUnavailableException explain(KafkaSettings kafka, String protocol, Duration timeout,
                                                   Throwable cause) {
    String where = "Kafka at " + kafka.bootstrapServers() + " (security.protocol=" + protocol + ")";
    if (cause instanceof SslAuthenticationException) {
      return new KafkaUnavailableException(where + " refused the TLS handshake: " + cause.getMessage()
          + ". Check ssl.truststore.location / ssl.keystore.location (STORYSTREAM_KAFKA_SSL_…).", cause);
    }
    if (cause instanceof AuthenticationException) {
      return new KafkaUnavailableException(where + " refused authentication: " + cause.getMessage()
          + ". Check sasl.mechanism and sasl.jaas.config (STORYSTREAM_KAFKA_SASL_MECHANISM, "
          + "STORYSTREAM_KAFKA_SASL_JAAS_CONFIG) or the --kafka-properties-file.", cause);
    }
    if (cause instanceof AuthorizationException) {
      return new KafkaUnavailableException(where + " refused this principal: " + cause.getMessage()
          + ". The service principal needs its ACLs (see 'storystream topics --acls').", cause);
    }
    return new KafkaUnavailableException(where + " did not answer within " + timeout.toSeconds() + " s"
        + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")")
        + ". If its listener requires SASL or TLS, give the client properties: security.protocol, sasl.mechanism "
        + "and sasl.jaas.config in --kafka-properties-file, or STORYSTREAM_KAFKA_SECURITY_PROTOCOL, "
        + "STORYSTREAM_KAFKA_SASL_MECHANISM and STORYSTREAM_KAFKA_SASL_JAAS_CONFIG.", cause);
  }
}
