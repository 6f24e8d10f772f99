package io.storystream.billing;

import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import java.util.List;

/**
 * A price book that was not published because it is not valid; every error is listed. It is a
 * {@link ProblemException}, so an HTTP API that calls {@link PriceBookPublisher#publish} answers 422 problem+json
 * with the errors without mapping it itself.
 */
public final class InvalidPriceBookException extends ProblemException {
  private final transient List<String> errors;

  private InvalidPriceBookException(Problem problem, List<String> errors) {
    super(problem);
    this.errors = List.copyOf(errors);
  }

  public static InvalidPriceBookException of(List<String> errors) {
    return new InvalidPriceBookException(Problem.of(422, "invalid-price-book", "Invalid price book",
        String.join("; ", errors)).with("errors", List.copyOf(errors)), errors);
  }

  /** The same version is already published with different prices: versions are immutable. */
  public static InvalidPriceBookException conflict(int version) {
    String error = "version " + version + " is already published with different content; publish a new version";
    return new InvalidPriceBookException(Problem.of(409, "price-book-version-exists", "Price-book version exists",
        error).with("errors", List.of(error)), List.of(error));
  }

  public List<String> errors() {
    return errors;
  }
}
