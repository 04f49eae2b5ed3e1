package dev.inferscope.gpu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Loads Inferscope's JNI shim and exposes its native methods. The shim ships inside the jar under
 * {@code META-INF/native/linux-x86_64/}; it is extracted to a private temporary directory (owner-only
 * permissions) and loaded, or taken from the path in the system property {@code inferscope.nvml.shim}.
 * Internal API: not for use outside Inferscope, may change without notice.
 */
public final class NvmlNative {
  /** Where the shim lives inside the jar. */
  public static final String RESOURCE = "/META-INF/native/linux-x86_64/libinferscope_nvml.so";

  /** Indexes of the (code, value) pairs {@link #readDevice} fills. */
  public static final int FIELD_GPU_UTIL = 0;
  public static final int FIELD_MEM_UTIL = 1;
  public static final int FIELD_MEM_TOTAL = 2;
  public static final int FIELD_MEM_USED = 3;
  public static final int FIELD_MEM_FREE = 4;
  public static final int FIELD_TEMPERATURE = 5;
  public static final int FIELD_POWER = 6;
  public static final int FIELD_POWER_LIMIT = 7;
  public static final int FIELD_SM_CLOCK = 8;
  public static final int FIELD_MEM_CLOCK = 9;
  public static final int FIELD_REASONS = 10;
  public static final int FIELD_MIG = 11;
  public static final int FIELD_PROCESSES = 12;
  public static final int FIELDS = 13;

  private static final Object LOCK = new Object();
  private static volatile @Nullable String loadError;
  private static volatile boolean loaded;
  private static volatile @Nullable URL loadedFrom;

  private NvmlNative() {}

  /** Loads the shim once; returns {@code null} on success or why it could not be loaded. */
  public static @Nullable String load() {
    if (loaded) {
      return null;
    }
    synchronized (LOCK) {
      if (loaded) {
        return null;
      }
      if (loadError != null) {
        return loadError;
      }
      String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
      String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
      String override = System.getProperty("inferscope.nvml.shim");
      try {
        if (override != null) {
          System.load(Path.of(override).toAbsolutePath().toString());
        } else {
          if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            loadError = "the NVML shim is built for linux-x86_64 only, not " + os + "-" + arch;
            return loadError;
          }
          URL url = NvmlNative.class.getResource(RESOURCE);
          if (url == null) {
            loadError = "the NVML shim is missing from the jar (" + RESOURCE + ")";
            return loadError;
          }
          Path dir = Files.createTempDirectory("inferscope-nvml-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
          Path lib = dir.resolve("libinferscope_nvml.so");
          try (InputStream in = url.openStream()) {
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
          }
          System.load(lib.toString());
          lib.toFile().deleteOnExit();
          dir.toFile().deleteOnExit();
          loadedFrom = url;
        }
        loaded = true;
        return null;
      } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
        loadError = "could not load the NVML shim: " + e.getClass().getSimpleName() + ": " + e.getMessage();
        return loadError;
      }
    }
  }

  /** Where the shim was extracted from (a {@code jar:} URL when loaded from the jar), or null. */
  public static @Nullable URL loadedFrom() {
    return loadedFrom;
  }

  /** Opens NVML from {@code path} (or the default names when null); null on success, else why not. */
  public static native @Nullable String open(@Nullable String path);

  public static native int init();

  public static native int shutdown();

  public static native void close();

  /** The device count, or minus an NVML return code. */
  public static native int deviceCount();

  /** Fills {@code numbers} (2 × {@link #FIELDS}) and {@code strings} (uuid, name, bus id). */
  public static native int readDevice(int index, long[] numbers, @Nullable String[] strings);

  /** (pid, used memory) pairs, or null. */
  public static native long @Nullable [] processes(int index);
}
