/*
 * Inferscope's JNI shim over NVML. It never links against NVML: libnvidia-ml is opened with dlopen and
 * every function is looked up with dlsym by its versioned name first, then older names. Every symbol is
 * optional; a missing one reports NVML_ERROR_FUNCTION_NOT_FOUND (13) for the fields it serves.
 *
 * The type declarations below are our own, written from NVML's documented signatures and structure
 * layouts (nvml.h as published by NVIDIA).
 */
#include <jni.h>
#include <dlfcn.h>
#include <string.h>
#include <stdio.h>

typedef int nvmlReturn_t;
typedef void *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_FUNCTION_NOT_FOUND 13
#define NVML_ERROR_LIBRARY_NOT_FOUND 12

typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;
typedef struct {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_v2_t;
typedef struct {
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlProcessInfo_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; } nvmlProcessInfo_v1_t;

#define NVML_MEMORY_V2_VERSION ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))

static void *lib = NULL;
static nvmlReturn_t (*p_init)(void);
static nvmlReturn_t (*p_shutdown)(void);
static nvmlReturn_t (*p_count)(unsigned int *);
static nvmlReturn_t (*p_handle)(unsigned int, nvmlDevice_t *);
static nvmlReturn_t (*p_uuid)(nvmlDevice_t, char *, unsigned int);
static nvmlReturn_t (*p_name)(nvmlDevice_t, char *, unsigned int);
static nvmlReturn_t (*p_pci)(nvmlDevice_t, nvmlPciInfo_t *);
static nvmlReturn_t (*p_util)(nvmlDevice_t, nvmlUtilization_t *);
static nvmlReturn_t (*p_mem)(nvmlDevice_t, nvmlMemory_t *);
static nvmlReturn_t (*p_mem_v2)(nvmlDevice_t, nvmlMemory_v2_t *);
static nvmlReturn_t (*p_temp)(nvmlDevice_t, int, unsigned int *);
static nvmlReturn_t (*p_power)(nvmlDevice_t, unsigned int *);
static nvmlReturn_t (*p_power_limit)(nvmlDevice_t, unsigned int *);
static nvmlReturn_t (*p_clock)(nvmlDevice_t, int, unsigned int *);
static nvmlReturn_t (*p_reasons)(nvmlDevice_t, unsigned long long *);
static nvmlReturn_t (*p_mig)(nvmlDevice_t, unsigned int *, unsigned int *);
static nvmlReturn_t (*p_procs)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_t *);
static nvmlReturn_t (*p_procs_v1)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_v1_t *);

static void *sym(const char *a, const char *b, const char *c) {
  void *f = NULL;
  if (a != NULL && (f = dlsym(lib, a)) != NULL) return f;
  if (b != NULL && (f = dlsym(lib, b)) != NULL) return f;
  if (c != NULL && (f = dlsym(lib, c)) != NULL) return f;
  return NULL;
}

/* Opens NVML; returns NULL on success or a message saying why it could not. */
JNIEXPORT jstring JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_open(JNIEnv *env, jclass cls, jstring path) {
  (void)cls;
  char tried[1024];
  tried[0] = '\0';
  if (lib != NULL) return NULL;
  if (path != NULL) {
    const char *p = (*env)->GetStringUTFChars(env, path, NULL);
    lib = dlopen(p, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
      const char *e = dlerror();
      snprintf(tried, sizeof(tried), "%s", e == NULL ? "dlopen failed" : e);
    }
    (*env)->ReleaseStringUTFChars(env, path, p);
  } else {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) lib = dlopen("libnvidia-ml.so", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
      const char *e = dlerror();
      snprintf(tried, sizeof(tried), "libnvidia-ml.so.1 and libnvidia-ml.so not found: %s", e == NULL ? "" : e);
    }
  }
  if (lib == NULL) return (*env)->NewStringUTF(env, tried);
  p_init = (nvmlReturn_t (*)(void))sym("nvmlInit_v2", "nvmlInit", NULL);
  p_shutdown = (nvmlReturn_t (*)(void))sym("nvmlShutdown", NULL, NULL);
  p_count = (nvmlReturn_t (*)(unsigned int *))sym("nvmlDeviceGetCount_v2", "nvmlDeviceGetCount", NULL);
  p_handle = (nvmlReturn_t (*)(unsigned int, nvmlDevice_t *))sym("nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex", NULL);
  p_uuid = (nvmlReturn_t (*)(nvmlDevice_t, char *, unsigned int))sym("nvmlDeviceGetUUID", NULL, NULL);
  p_name = (nvmlReturn_t (*)(nvmlDevice_t, char *, unsigned int))sym("nvmlDeviceGetName", NULL, NULL);
  p_pci = (nvmlReturn_t (*)(nvmlDevice_t, nvmlPciInfo_t *))sym("nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo");
  p_util = (nvmlReturn_t (*)(nvmlDevice_t, nvmlUtilization_t *))sym("nvmlDeviceGetUtilizationRates", NULL, NULL);
  p_mem_v2 = (nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_v2_t *))sym("nvmlDeviceGetMemoryInfo_v2", NULL, NULL);
  p_mem = (nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t *))sym("nvmlDeviceGetMemoryInfo", NULL, NULL);
  p_temp = (nvmlReturn_t (*)(nvmlDevice_t, int, unsigned int *))sym("nvmlDeviceGetTemperature", NULL, NULL);
  p_power = (nvmlReturn_t (*)(nvmlDevice_t, unsigned int *))sym("nvmlDeviceGetPowerUsage", NULL, NULL);
  p_power_limit = (nvmlReturn_t (*)(nvmlDevice_t, unsigned int *))sym("nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetPowerManagementLimit", NULL);
  p_clock = (nvmlReturn_t (*)(nvmlDevice_t, int, unsigned int *))sym("nvmlDeviceGetClockInfo", NULL, NULL);
  p_reasons = (nvmlReturn_t (*)(nvmlDevice_t, unsigned long long *))sym("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons", NULL);
  p_mig = (nvmlReturn_t (*)(nvmlDevice_t, unsigned int *, unsigned int *))sym("nvmlDeviceGetMigMode", NULL, NULL);
  p_procs = (nvmlReturn_t (*)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_t *))sym("nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2", NULL);
  p_procs_v1 = (nvmlReturn_t (*)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_v1_t *))sym("nvmlDeviceGetComputeRunningProcesses", NULL, NULL);
  return NULL;
}

JNIEXPORT jint JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_init(JNIEnv *env, jclass cls) {
  (void)env; (void)cls;
  if (lib == NULL) return NVML_ERROR_LIBRARY_NOT_FOUND;
  if (p_init == NULL) return NVML_ERROR_FUNCTION_NOT_FOUND;
  return p_init();
}

JNIEXPORT jint JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_shutdown(JNIEnv *env, jclass cls) {
  (void)env; (void)cls;
  if (p_shutdown == NULL) return NVML_ERROR_FUNCTION_NOT_FOUND;
  return p_shutdown();
}

/* Returns the device count, or -(return code) on failure. */
JNIEXPORT jint JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_deviceCount(JNIEnv *env, jclass cls) {
  (void)env; (void)cls;
  unsigned int n = 0;
  if (p_count == NULL) return -NVML_ERROR_FUNCTION_NOT_FOUND;
  nvmlReturn_t r = p_count(&n);
  return r == NVML_SUCCESS ? (jint)n : -r;
}

/*
 * Reads one device. numbers receives pairs (return code, value) in the order of NvmlNative.FIELD_*;
 * strings receives uuid, name, PCI bus id (null where unavailable). Returns the handle's return code.
 */
JNIEXPORT jint JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_readDevice(JNIEnv *env, jclass cls, jint index,
    jlongArray numbers, jobjectArray strings) {
  (void)cls;
  nvmlDevice_t dev = NULL;
  if (p_handle == NULL) return NVML_ERROR_FUNCTION_NOT_FOUND;
  nvmlReturn_t hr = p_handle((unsigned int)index, &dev);
  if (hr != NVML_SUCCESS) return hr;
  jlong out[26];
  for (int i = 0; i < 26; i += 2) { out[i] = NVML_ERROR_FUNCTION_NOT_FOUND; out[i + 1] = 0; }
  char buf[96];

  /* 0: gpu util, 1: memory util */
  if (p_util != NULL) {
    nvmlUtilization_t u; memset(&u, 0, sizeof(u));
    nvmlReturn_t r = p_util(dev, &u);
    out[0] = r; out[1] = u.gpu; out[2] = r; out[3] = u.memory;
  }
  /* 2: memory total, 3: used, 4: free (v2 first: its used excludes reserved memory) */
  nvmlReturn_t mr = NVML_ERROR_FUNCTION_NOT_FOUND;
  if (p_mem_v2 != NULL) {
    nvmlMemory_v2_t m; memset(&m, 0, sizeof(m)); m.version = NVML_MEMORY_V2_VERSION;
    mr = p_mem_v2(dev, &m);
    if (mr == NVML_SUCCESS) { out[4] = mr; out[5] = (jlong)m.total; out[6] = mr; out[7] = (jlong)m.used; out[8] = mr; out[9] = (jlong)m.free; }
  }
  if (mr != NVML_SUCCESS && p_mem != NULL) {
    nvmlMemory_t m; memset(&m, 0, sizeof(m));
    nvmlReturn_t r = p_mem(dev, &m);
    out[4] = r; out[5] = (jlong)m.total; out[6] = r; out[7] = (jlong)m.used; out[8] = r; out[9] = (jlong)m.free;
  } else if (mr != NVML_SUCCESS) {
    out[4] = out[6] = out[8] = mr;
  }
  /* 5: temperature (NVML_TEMPERATURE_GPU = 0) */
  if (p_temp != NULL) { unsigned int t = 0; out[10] = p_temp(dev, 0, &t); out[11] = t; }
  /* 6: power mW, 7: power limit mW */
  if (p_power != NULL) { unsigned int p = 0; out[12] = p_power(dev, &p); out[13] = p; }
  if (p_power_limit != NULL) { unsigned int p = 0; out[14] = p_power_limit(dev, &p); out[15] = p; }
  /* 8: SM clock (NVML_CLOCK_SM = 1), 9: memory clock (NVML_CLOCK_MEM = 2) */
  if (p_clock != NULL) {
    unsigned int c = 0; out[16] = p_clock(dev, 1, &c); out[17] = c;
    c = 0; out[18] = p_clock(dev, 2, &c); out[19] = c;
  }
  /* 10: clocks event reasons bit mask */
  if (p_reasons != NULL) { unsigned long long r = 0; out[20] = p_reasons(dev, &r); out[21] = (jlong)r; }
  /* 11: MIG mode (current) */
  if (p_mig != NULL) { unsigned int cur = 0, pend = 0; out[22] = p_mig(dev, &cur, &pend); out[23] = cur; }
  /* 12: running compute processes: count (details through processes()) */
  if (p_procs != NULL) {
    unsigned int n = 0; nvmlReturn_t r = p_procs(dev, &n, NULL);
    out[24] = (r == 7 /* INSUFFICIENT_SIZE: n holds the count */) ? NVML_SUCCESS : r; out[25] = n;
  } else if (p_procs_v1 != NULL) {
    unsigned int n = 0; nvmlReturn_t r = p_procs_v1(dev, &n, NULL);
    out[24] = (r == 7) ? NVML_SUCCESS : r; out[25] = n;
  }
  (*env)->SetLongArrayRegion(env, numbers, 0, 26, out);

  if (p_uuid != NULL && p_uuid(dev, buf, sizeof(buf)) == NVML_SUCCESS) {
    buf[sizeof(buf) - 1] = '\0';
    (*env)->SetObjectArrayElement(env, strings, 0, (*env)->NewStringUTF(env, buf));
  }
  if (p_name != NULL && p_name(dev, buf, sizeof(buf)) == NVML_SUCCESS) {
    buf[sizeof(buf) - 1] = '\0';
    (*env)->SetObjectArrayElement(env, strings, 1, (*env)->NewStringUTF(env, buf));
  }
  if (p_pci != NULL) {
    nvmlPciInfo_t pci; memset(&pci, 0, sizeof(pci));
    if (p_pci(dev, &pci) == NVML_SUCCESS) {
      pci.busId[sizeof(pci.busId) - 1] = '\0';
      (*env)->SetObjectArrayElement(env, strings, 2, (*env)->NewStringUTF(env, pci.busId));
    }
  }
  return NVML_SUCCESS;
}

/* Running compute processes as (pid, used memory) pairs; null on failure. */
JNIEXPORT jlongArray JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_processes(JNIEnv *env, jclass cls, jint index) {
  (void)cls;
  nvmlDevice_t dev = NULL;
  if (p_handle == NULL || p_handle((unsigned int)index, &dev) != NVML_SUCCESS) return NULL;
  jlong pairs[128];
  unsigned int n = 64;
  if (p_procs != NULL) {
    nvmlProcessInfo_t infos[64];
    if (p_procs(dev, &n, infos) != NVML_SUCCESS) return NULL;
    for (unsigned int i = 0; i < n && i < 64; i++) { pairs[2 * i] = infos[i].pid; pairs[2 * i + 1] = (jlong)infos[i].usedGpuMemory; }
  } else if (p_procs_v1 != NULL) {
    nvmlProcessInfo_v1_t infos[64];
    if (p_procs_v1(dev, &n, infos) != NVML_SUCCESS) return NULL;
    for (unsigned int i = 0; i < n && i < 64; i++) { pairs[2 * i] = infos[i].pid; pairs[2 * i + 1] = (jlong)infos[i].usedGpuMemory; }
  } else {
    return NULL;
  }
  if (n > 64) n = 64;
  jlongArray arr = (*env)->NewLongArray(env, (jsize)(2 * n));
  if (arr != NULL) (*env)->SetLongArrayRegion(env, arr, 0, (jsize)(2 * n), pairs);
  return arr;
}

/* Closes the library so that another one can be opened (tests use several fakes in one JVM). */
JNIEXPORT void JNICALL Java_dev_inferscope_gpu_internal_NvmlNative_close(JNIEnv *env, jclass cls) {
  (void)env; (void)cls;
  if (lib != NULL) {
    dlclose(lib);
    lib = NULL;
  }
  p_init = NULL; p_shutdown = NULL; p_count = NULL; p_handle = NULL; p_uuid = NULL; p_name = NULL; p_pci = NULL;
  p_util = NULL; p_mem = NULL; p_mem_v2 = NULL; p_temp = NULL; p_power = NULL; p_power_limit = NULL; p_clock = NULL;
  p_reasons = NULL; p_mig = NULL; p_procs = NULL; p_procs_v1 = NULL;
}
