package io.storystream.ingress.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.common.http.Problem;
import io.storystream.ingress.jobs.JobRouter.Forwarded;
import org.junit.jupiter.api.Test;

/**
 * What an instance answers for a job whose owner did not relay an answer (regression of the fault campaign, issue
 * 19: polls a moment after a 202 were answered 404 when the owner was killed, paused or still catching up). Only the
 * owner's own 404 denies a job; otherwise "not here" becomes the documented 503 jobs-rebalancing.
 */
class JobRouterAfterForwardTest {
  private static final Problem NOT_FOUND = AnalysisRoutes.notFound().problem();
  private static final Problem MOVING = Problem.of(503, "jobs-rebalancing", "Job store moving", "retry");

  @Test
  void anOwnerThatDidNotAnswerNeverTurnsNotHereIntoA404() {
    Problem answer = JobRouter.afterForward(Forwarded.UNREACHABLE, NOT_FOUND);
    assertThat(answer.status()).isEqualTo(503);
    assertThat(answer.type()).endsWith("/jobs-rebalancing");
  }

  @Test
  void anOwnerStillCatchingUpNeverTurnsNotHereIntoA404() {
    Problem answer = JobRouter.afterForward(Forwarded.NOT_YET, NOT_FOUND);
    assertThat(answer.status()).isEqualTo(503);
    assertThat(answer.type()).endsWith("/jobs-rebalancing");
  }

  @Test
  void theOwnersOwn404IsTheAnswerWhenNoReplicaHereKnowsMore() {
    assertThat(JobRouter.afterForward(Forwarded.NOT_FOUND, MOVING).status()).isEqualTo(404);
    assertThat(JobRouter.afterForward(Forwarded.NOT_FOUND, NOT_FOUND).status()).isEqualTo(404);
  }

  @Test
  void otherLocalAnswersPassThrough() {
    Problem notCompleted = Problem.of(409, "job-not-completed", "Job not completed", "the job is running");
    assertThat(JobRouter.afterForward(Forwarded.UNREACHABLE, notCompleted)).isEqualTo(notCompleted);
    assertThat(JobRouter.afterForward(Forwarded.UNREACHABLE, MOVING)).isEqualTo(MOVING);
  }
}
