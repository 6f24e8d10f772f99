package io.storystream.datastorybot.client;

import java.util.List;

/** Everything a job produced, with the files already downloaded (the container is deleted 20 minutes after upload). */
public record AnalysisResult(List<Story> stories, Story chosen, String narrativeMarkdown, List<Chart> charts,
    Dataset dataset, CallTimings timings) {}
