/*
 * A fake libnvidia-ml for Inferscope's tests. Every value and return code comes from a small
 * "key=value" file read at each call (path: $FAKE_NVML_CONFIG, else target/fake-nvml.conf), so a test
 * can change what the "GPU" reports while the sampler runs. Built twice: with every versioned symbol,
 * and with -DV1_ONLY, which exports only the oldest names (no _v2/_v3), as old drivers do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef void *nvmlDevice_t;
typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;
typedef struct { char busIdLegacy[16]; unsigned int domain, bus, device, pciDeviceId, pciSubSystemId; char busId[32]; } nvmlPciInfo_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gpuInstanceId, computeInstanceId; } nvmlProcessInfo_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; } nvmlProcessInfo_v1_t;

static char config[8192];

static void load(void) {
  const char *path = getenv("FAKE_NVML_CONFIG");
  if (path == NULL) path = "target/fake-nvml.conf";
  FILE *f = fopen(path, "r");
  config[0] = '\0';
  if (f == NULL) return;
  size_t n = fread(config, 1, sizeof(config) - 1, f);
  config[n] = '\0';
  fclose(f);
}

/* The value of "key<index>" (or "key" when index < 0), or NULL. */
static const char *get(const char *key, int index) {
  char want[96];
  if (index >= 0) snprintf(want, sizeof(want), "\n%s%d=", key, index);
  else snprintf(want, sizeof(want), "\n%s=", key);
  static char value[512];
  char padded[8200];
  snprintf(padded, sizeof(padded), "\n%s", config);
  char *p = strstr(padded, want);
  if (p == NULL) return NULL;
  p += strlen(want);
  size_t i = 0;
  while (p[i] != '\0' && p[i] != '\n' && i < sizeof(value) - 1) { value[i] = p[i]; i++; }
  value[i] = '\0';
  return value;
}

static unsigned long long num(const char *key, int index, unsigned long long dflt) {
  const char *v = get(key, index);
  return v == NULL ? dflt : strtoull(v, NULL, 10);
}

static int idx(nvmlDevice_t d) { return (int)(long)d - 1; }

/* A forced return code for a function on a device ("rc_<name><index>"), or 0. */
static int rc(const char *name, int index) {
  char key[64];
  snprintf(key, sizeof(key), "rc_%s", name);
  return (int)num(key, index, 0);
}

nvmlReturn_t nvmlInit(void) { load(); return (nvmlReturn_t)num("rc_init", -1, 0); }
nvmlReturn_t nvmlShutdown(void) { return 0; }
nvmlReturn_t nvmlDeviceGetCount(unsigned int *n) { load(); *n = (unsigned int)num("count", -1, 1); return 0; }
nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d) {
  load();
  if (i >= num("count", -1, 1)) return 2;
  int r = rc("handle", (int)i);
  if (r) return r;
  *d = (nvmlDevice_t)(long)(i + 1);
  return 0;
}
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len) {
  const char *v = get("uuid", idx(d));
  snprintf(buf, len, "%s", v == NULL ? "GPU-00000000-0000-0000-0000-000000000000" : v);
  return 0;
}
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len) {
  const char *v = get("name", idx(d));
  snprintf(buf, len, "%s", v == NULL ? "Fake GPU" : v);
  return 0;
}
static nvmlReturn_t pci(nvmlDevice_t d, nvmlPciInfo_t *p) {
  memset(p, 0, sizeof(*p));
  const char *v = get("pci", idx(d));
  snprintf(p->busId, sizeof(p->busId), "%s", v == NULL ? "00000000:00:00.0" : v);
  return 0;
}
nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t d, nvmlPciInfo_t *p) { return pci(d, p); }
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
  int r = rc("util", idx(d));
  if (r) return r;
  u->gpu = (unsigned int)num("util_gpu", idx(d), 0);
  u->memory = (unsigned int)num("util_mem", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m) {
  int r = rc("mem", idx(d));
  if (r) return r;
  m->total = num("mem_total", idx(d), 0);
  /* v1: "used" includes the driver-reserved memory */
  m->used = num("mem_used", idx(d), 0) + num("mem_reserved", idx(d), 0);
  m->free = num("mem_free", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t) {
  (void)sensor;
  int r = rc("temp", idx(d));
  if (r) return r;
  *t = (unsigned int)num("temp", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *p) {
  int r = rc("power", idx(d));
  if (r) return r;
  *p = (unsigned int)num("power", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *p) {
  *p = (unsigned int)num("power_limit", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *c) {
  *c = (unsigned int)num(type == 1 ? "sm_clock" : "mem_clock", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d, unsigned long long *r) {
  *r = num("reasons", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *cur, unsigned int *pend) {
  int r = rc("mig", idx(d));
  if (r) return r;
  *cur = (unsigned int)num("mig", idx(d), 0);
  *pend = *cur;
  return 0;
}
static unsigned int procs(nvmlDevice_t d, unsigned int *pids, unsigned long long *mems, unsigned int max) {
  const char *v = get("procs", idx(d));
  unsigned int n = 0;
  if (v == NULL) return 0;
  char copy[512];
  snprintf(copy, sizeof(copy), "%s", v);
  for (char *tok = strtok(copy, ","); tok != NULL && n < max; tok = strtok(NULL, ",")) {
    pids[n] = (unsigned int)strtoul(tok, NULL, 10);
    char *colon = strchr(tok, ':');
    mems[n] = colon == NULL ? 0 : strtoull(colon + 1, NULL, 10);
    n++;
  }
  return n;
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_v1_t *infos) {
  unsigned int pids[64]; unsigned long long mems[64];
  unsigned int n = procs(d, pids, mems, 64);
  if (infos == NULL || *count < n) { *count = n; return n == 0 ? 0 : 7; }
  for (unsigned int i = 0; i < n; i++) { infos[i].pid = pids[i]; infos[i].usedGpuMemory = mems[i]; }
  *count = n;
  return 0;
}

#ifndef V1_ONLY
nvmlReturn_t nvmlInit_v2(void) { return nvmlInit(); }
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n) { return nvmlDeviceGetCount(n); }
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d) { return nvmlDeviceGetHandleByIndex(i, d); }
nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, nvmlPciInfo_t *p) { return pci(d, p); }
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m) {
  int r = rc("mem", idx(d));
  if (r) return r;
  if ((m->version >> 24) != 2) return 25; /* NVML_ERROR_ARGUMENT_VERSION_MISMATCH */
  m->total = num("mem_total", idx(d), 0);
  m->reserved = num("mem_reserved", idx(d), 0);
  m->used = num("mem_used", idx(d), 0);
  m->free = num("mem_free", idx(d), 0);
  return 0;
}
nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t d, unsigned long long *r) {
  return nvmlDeviceGetCurrentClocksThrottleReasons(d, r);
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *infos) {
  unsigned int pids[64]; unsigned long long mems[64];
  unsigned int n = procs(d, pids, mems, 64);
  if (infos == NULL || *count < n) { *count = n; return n == 0 ? 0 : 7; }
  for (unsigned int i = 0; i < n; i++) { infos[i].pid = pids[i]; infos[i].usedGpuMemory = mems[i]; infos[i].gpuInstanceId = 0; infos[i].computeInstanceId = 0; }
  *count = n;
  return 0;
}
#endif
