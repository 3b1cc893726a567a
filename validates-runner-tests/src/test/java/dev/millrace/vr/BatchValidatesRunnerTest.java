package dev.millrace.vr;

import org.junit.runner.RunWith;

/** Beam's ValidatesRunner suite on Millrace with {@code --streaming=false}. */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode("batch")
public class BatchValidatesRunnerTest {}
