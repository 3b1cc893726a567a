package dev.millrace.vr;

import org.apache.beam.sdk.testing.NeedsRunner;
import org.apache.beam.sdk.testing.ValidatesRunner;
import org.junit.runner.RunWith;

/**
 * Beam's NeedsRunner tests that are not also ValidatesRunner (those run in the streaming mode):
 * what Beam's transforms and IOs do on a runner, which Beam itself checks only on DirectRunner. Run
 * with the streaming mode's options.
 */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode(
    value = "needs-runner-streaming",
    category = NeedsRunner.class,
    skipping = ValidatesRunner.class)
public class NeedsRunnerStreamingTest {}
