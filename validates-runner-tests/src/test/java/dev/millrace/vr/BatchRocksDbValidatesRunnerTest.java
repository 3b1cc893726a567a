package dev.millrace.vr;

import org.junit.runner.RunWith;

/** Beam's ValidatesRunner suite on Millrace, batch, with keyed state in RocksDB. */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode("batch-rocksdb")
public class BatchRocksDbValidatesRunnerTest {}
