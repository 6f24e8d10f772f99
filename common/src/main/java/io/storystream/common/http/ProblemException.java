package io.storystream.common.http;

/** Thrown by a handler to answer with a problem+json body; {@link Problems#install} maps it. */
public class ProblemException extends RuntimeException {
  private final transient Problem problem;

  public ProblemException(Problem problem) {
    super(problem.title() + (problem.detail() == null ? "" : ": " + problem.detail()), null, false, false);
    this.problem = problem;
  }

  public ProblemException(int status, String slug, String title, String detail) {
    this(Problem.of(status, slug, title, detail));
  }

  public Problem problem() {
    return problem;
  }
}
