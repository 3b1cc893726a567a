package dev.millrace.translation;

import dev.millrace.plan.Plan;

/** A pipeline ready to run: its plan and where its user metrics will be collected. */
public record TranslatedJob(Plan plan, JobMetrics metrics) {}
