package io.storystream.common.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

class BlobStoreCredentialsTest {
  @Test
  void aStaticKeyWhenGivenOtherwiseTheAwsDefaultChain() {
    assertThat(BlobStore.credentials(new S3Settings("http://s3", "us-east-1", "b", "AKIA", "secret")))
        .isInstanceOf(StaticCredentialsProvider.class);
    assertThat(BlobStore.credentials(new S3Settings(null, "us-east-1", "b", null, null)))
        .isInstanceOf(DefaultCredentialsProvider.class);
    assertThat(BlobStore.credentials(new S3Settings(null, "us-east-1", "b", " ", null)))
        .isInstanceOf(DefaultCredentialsProvider.class);
    assertThatThrownBy(() -> BlobStore.credentials(new S3Settings(null, "us-east-1", "b", "AKIA", "")))
        .hasMessageContaining("without its secret key");
  }
}
