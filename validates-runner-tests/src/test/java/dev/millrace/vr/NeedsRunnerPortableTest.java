package dev.millrace.vr;

import org.apache.beam.sdk.testing.NeedsRunner;
import org.apache.beam.sdk.testing.ValidatesRunner;
import org.junit.runner.RunWith;

/**
 * Beam's NeedsRunner tests that are not also ValidatesRunner (those run in the portable mode): what
 * Beam's transforms and IOs do on a runner, which Beam itself checks only on DirectRunner. Run with
 * the portable mode's options.
 */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode(
    value = "needs-runner-portable",
    category = NeedsRunner.class,
    skipping = ValidatesRunner.class)
public class NeedsRunnerPortableTest {}
