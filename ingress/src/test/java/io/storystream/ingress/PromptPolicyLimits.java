package io.storystream.ingress;

/** The prompt limits as tests see them. */
final class PromptPolicyLimits {
  static final int STEERING = io.storystream.ingress.jobs.PromptPolicy.MAX_STEERING;

  private PromptPolicyLimits() {}
}
