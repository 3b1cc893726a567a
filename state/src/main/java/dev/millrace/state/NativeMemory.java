package dev.millrace.state;

import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * The native memory all RocksDB backends of this JVM share: one block cache and one budget for
 * memtables, charged to that cache. A job with many keyed operators and subtasks opens many
 * databases; without a shared budget each would take its own 64 MB memtables and block cache, and
 * native memory would grow with the plan instead of staying bounded.
 *
 * <p>Lives as long as the JVM: backends come and go with jobs, the budget does not.
 */
final class NativeMemory {
  /** Block cache for reads, and the pool memtables are charged to. */
  static final long BLOCK_CACHE_BYTES = 256L << 20;

  /** Memtables of all databases together; reaching it makes the largest flush. */
  static final long WRITE_BUFFER_BYTES = 128L << 20;

  static {
    RocksDB.loadLibrary();
  }

  static final Cache BLOCK_CACHE = new LRUCache(BLOCK_CACHE_BYTES);
  static final WriteBufferManager WRITE_BUFFERS =
      new WriteBufferManager(WRITE_BUFFER_BYTES, BLOCK_CACHE);

  private NativeMemory() {}
}
