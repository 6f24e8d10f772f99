package io.storystream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TenantPartitioner;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TenantPartitionerTest {

  @ParameterizedTest
  @CsvSource({"acme,6", "globex,6", "initech,12", "a1,3", "umbrella-corp,6"})
  void plainTenantKeyGoesWhereKafkasDefaultPartitionerPutsIt(String tenant, int partitions) {
    int kafkaDefault = BuiltInPartitioner.partitionForKey(tenant.getBytes(StandardCharsets.UTF_8), partitions);
    assertThat(TenantPartitioner.partition(tenant, partitions)).isEqualTo(kafkaDefault);
  }

  @ParameterizedTest
  @CsvSource({"acme,file_abc,6", "globex,2026-11,6", "initech,file_x:y,12"})
  void compositeKeyFollowsItsTenant(String tenant, String resource, int partitions) {
    String key = TenantKeys.of(tenant, resource);
    assertThat(TenantPartitioner.partition(key, partitions)).isEqualTo(TenantPartitioner.partition(tenant, partitions));
    assertThat(TenantKeys.tenantOf(key)).isEqualTo(tenant);
    assertThat(TenantKeys.resourceOf(key)).isEqualTo(resource);
  }

  @ParameterizedTest
  @CsvSource({"acme,true", "a,false", "Acme,false", "ac:me,false", "-acme,false", "acme-2,true"})
  void tenantIdsCannotHoldTheSeparator(String tenant, boolean valid) {
    assertThat(TenantKeys.isValidTenantId(tenant)).isEqualTo(valid);
  }
}
