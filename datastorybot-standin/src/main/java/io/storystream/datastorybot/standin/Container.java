package io.storystream.datastorybot.standin;

import io.storystream.datastorybot.standin.analysis.Angle;
import io.storystream.datastorybot.standin.analysis.StoryFinder;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One DataStoryBot session: the uploaded table, its analysis and the files refine produced. Lives until
 * {@code expiresAt}. One call at a time: a second concurrent call gets "container busy", as upstream does.
 */
final class Container {
  record StoredFile(String fileName, String contentType, byte[] bytes) {}

  final String id;
  final String fileName;
  final Instant expiresAt;
  final StoryFinder finder;
  final Map<String, StoredFile> files = new ConcurrentHashMap<>();
  final ReentrantLock busy = new ReentrantLock();
  volatile Map<String, Angle> storiesByTitle;

  Container(String id, String fileName, Instant expiresAt, StoryFinder finder) {
    this.id = id;
    this.fileName = fileName;
    this.expiresAt = expiresAt;
    this.finder = finder;
  }
}
