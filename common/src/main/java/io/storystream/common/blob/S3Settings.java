package io.storystream.common.blob;

/** Where the S3-compatible store is and how to sign for it. Path-style addressing works for S3Proxy, MinIO and AWS. */
public record S3Settings(String endpoint, String region, String bucket, String accessKey, String secretKey) {
  public static final String DEFAULT_BUCKET = "storystream";

  @Override
  public String toString() {
    return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + "]"; // no credentials
  }
}
