package dev.inferscope.gpu;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Everything the shim reads of one device, each numeric field with its own NVML status.
 *
 * @param index device index
 * @param uuid UUID, or {@code null}
 * @param name product name, or {@code null}
 * @param pciBusId PCI bus id, or {@code null}
 * @param gpuUtilization GPU utilization, percent
 * @param memoryUtilization memory controller utilization, percent
 * @param memoryTotal bytes
 * @param memoryUsed bytes (with {@code nvmlDeviceGetMemoryInfo_v2}: excluding driver-reserved memory)
 * @param memoryFree bytes
 * @param temperature degrees Celsius
 * @param powerUsage milliwatts
 * @param powerLimit milliwatts
 * @param smClock MHz
 * @param memoryClock MHz
 * @param clocksEventReasons NVML's clocks-event (throttle) reason bit mask
 * @param migMode 1 when MIG is enabled
 * @param processCount running compute processes
 * @param processes running compute processes (pid and used memory)
 * @param lost whether the device reported GPU_IS_LOST
 * @param sampledAtNanos when it was read
 */
public record NvmlDeviceState(int index, @Nullable String uuid, @Nullable String name, @Nullable String pciBusId,
    NvmlReading gpuUtilization, NvmlReading memoryUtilization, NvmlReading memoryTotal, NvmlReading memoryUsed,
    NvmlReading memoryFree, NvmlReading temperature, NvmlReading powerUsage, NvmlReading powerLimit,
    NvmlReading smClock, NvmlReading memoryClock, NvmlReading clocksEventReasons, NvmlReading migMode,
    NvmlReading processCount, List<GpuProcess> processes, boolean lost, long sampledAtNanos) {

  /**
   * A process using the GPU.
   *
   * @param pid the process id
   * @param usedMemory bytes it uses
   */
  public record GpuProcess(long pid, long usedMemory) {}

  public NvmlDeviceState {
    processes = List.copyOf(processes);
  }
}
