package io.storystream.embedded.registry;

/** An error as Confluent's schema registry reports it: an HTTP status and a body {@code {error_code, message}}. */
final class RegistryError extends RuntimeException {
  static final int SUBJECT_NOT_FOUND = 40401;
  static final int VERSION_NOT_FOUND = 40402;
  static final int SCHEMA_NOT_FOUND = 40403;
  static final int SUBJECT_CONFIG_NOT_FOUND = 40408;
  static final int INCOMPATIBLE = 409;
  static final int INVALID_SCHEMA = 42201;
  static final int INVALID_VERSION = 42202;
  static final int INVALID_COMPATIBILITY = 42203;
  static final int MALFORMED_REQUEST = 400;
  static final int STORE_ERROR = 50001;

  final int status;
  final int errorCode;

  RegistryError(int status, int errorCode, String message) {
    super(message, null, false, false);
    this.status = status;
    this.errorCode = errorCode;
  }

  static RegistryError subjectNotFound(String subject) {
    return new RegistryError(404, SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
  }

  static RegistryError versionNotFound(String version) {
    return new RegistryError(404, VERSION_NOT_FOUND, "Version " + version + " not found.");
  }

  static RegistryError schemaNotFound() {
    return new RegistryError(404, SCHEMA_NOT_FOUND, "Schema not found");
  }
}
