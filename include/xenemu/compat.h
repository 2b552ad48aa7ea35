/*
 * compat.h: the 32-bit (compat) layouts of hypercall arguments whose 64-bit
 * form contains pointer-sized fields, which Xen's public headers declare only
 * for the build's own word size.  A guest that calls from 32-bit mode (EFER.LMA
 * or CS.L clear) passes these layouts and the EBX/ECX/EDX/ESI/EDI registers.
 *
 * Argument structures made only of fixed-size fields (all of
 * event_channel.h, xen_hvm_param, vcpu_register_vcpu_info, sched_shutdown,
 * xen_feature_info) are the same in both modes and are not repeated here.
 * Guest handles are 32-bit guest addresses in this mode.
 */
#ifndef XENEMU_COMPAT_H
#define XENEMU_COMPAT_H

#include <stddef.h>

#include "xenemu/xen_public.h"

/* XENMEM_add_to_physmap: idx is xen_ulong_t, gpfn is xen_pfn_t. */
struct compat_add_to_physmap {
    domid_t domid;
    uint16_t size;
    uint32_t space;
    uint32_t idx;
    uint32_t gpfn;
};
_Static_assert(sizeof(struct compat_add_to_physmap) == 16, "layout");
_Static_assert(offsetof(struct compat_add_to_physmap, space) == 4, "layout");
_Static_assert(offsetof(struct compat_add_to_physmap, idx) == 8, "layout");
_Static_assert(offsetof(struct compat_add_to_physmap, gpfn) == 12, "layout");

/* XENMEM_memory_map: buffer is a guest handle. */
struct compat_memory_map {
    uint32_t nr_entries;
    uint32_t buffer;
};
_Static_assert(sizeof(struct compat_memory_map) == 8, "layout");
_Static_assert(offsetof(struct compat_memory_map, buffer) == 4, "layout");

/* SCHEDOP_poll: ports is a guest handle; uint64_t is 4-aligned on i386. */
struct compat_sched_poll {
    uint32_t ports;
    uint32_t nr_ports;
    uint32_t timeout_lo;
    uint32_t timeout_hi;
};
_Static_assert(sizeof(struct compat_sched_poll) == 16, "layout");
_Static_assert(offsetof(struct compat_sched_poll, nr_ports) == 4, "layout");
_Static_assert(offsetof(struct compat_sched_poll, timeout_lo) == 8, "layout");

/* XENVER_platform_parameters: virt_start is xen_ulong_t. */
struct compat_platform_parameters {
    uint32_t virt_start;
};
_Static_assert(sizeof(struct compat_platform_parameters) == 4, "layout");

/* The 64-bit layouts the decoders rely on, pinned the same way. */
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "layout");
_Static_assert(sizeof(struct xen_memory_map) == 16, "layout");
_Static_assert(sizeof(struct sched_poll) == 24, "layout");

/* VCPUOP_get_runstate_info / the runstate area: uint64_t is 4-aligned on
 * i386, so there is no padding after state. */
struct compat_vcpu_runstate_info {
    int32_t state;
    uint32_t state_entry_time[2]; /* low half first */
    uint32_t time[4][2];
};
_Static_assert(sizeof(struct compat_vcpu_runstate_info) == 44, "layout");
_Static_assert(offsetof(struct compat_vcpu_runstate_info, state_entry_time) ==
                   4,
               "layout");
_Static_assert(offsetof(struct compat_vcpu_runstate_info, time) == 12,
               "layout");

/* VCPUOP_set_singleshot_timer: no tail padding on i386. */
#define COMPAT_SINGLESHOT_SIZE 12u
/* VCPUOP_register_runstate_memory_area and
 * VCPUOP_register_vcpu_time_memory_area: Xen reads only the 32-bit guest
 * handle at the start of the 8-byte union. */
#define COMPAT_AREA_HANDLE_SIZE 4u

/* __HYPERVISOR_multicall: every field is xen_ulong_t, 32 bits here. */
struct compat_multicall_entry {
    uint32_t op;
    uint32_t result;
    uint32_t args[6];
};
_Static_assert(sizeof(struct compat_multicall_entry) == 32, "layout");
_Static_assert(offsetof(struct compat_multicall_entry, result) == 4, "layout");

/* __HYPERVISOR_dm_op's buffers: a 32-bit handle and a 32-bit size. */
struct compat_dm_op_buf {
    uint32_t h;
    uint32_t size;
};
_Static_assert(sizeof(struct compat_dm_op_buf) == 8, "layout");

/* ---- memory_op (hv/memory_op.c) ---- */

/* XENMEM_{increase,decrease}_reservation, populate_physmap, claim_pages:
 * extent_start is a handle, nr_extents xen_ulong_t. */
struct compat_memory_reservation {
    uint32_t extent_start;
    uint32_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;
    domid_t domid;
};
_Static_assert(sizeof(struct compat_memory_reservation) == 20, "layout");
_Static_assert(offsetof(struct compat_memory_reservation, domid) == 16,
               "layout");
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "layout");

/* XENMEM_remove_from_physmap: gpfn is xen_pfn_t. */
struct compat_remove_from_physmap {
    domid_t domid;
    uint32_t gpfn;
};
_Static_assert(sizeof(struct compat_remove_from_physmap) == 8, "layout");
_Static_assert(offsetof(struct compat_remove_from_physmap, gpfn) == 4,
               "layout");
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "layout");

/* XENMEM_get_vnumainfo: the handles sit in 64-bit unions, so both modes
 * share struct xen_vnuma_topology_info. */
_Static_assert(sizeof(struct xen_vnuma_topology_info) == 40, "layout");

/* ---- grant_table_op (hv/grant_table.c, hv/grant_copy.c) ---- */

/* GNTTABOP_setup_table: frame_list is a handle (of 32-bit frames). */
struct compat_gnttab_setup_table {
    domid_t dom;
    uint16_t pad;
    uint32_t nr_frames;
    int16_t status;
    uint16_t pad2;
    uint32_t frame_list;
};
_Static_assert(sizeof(struct compat_gnttab_setup_table) == 16, "layout");
_Static_assert(offsetof(struct compat_gnttab_setup_table, nr_frames) == 4,
               "layout");
_Static_assert(offsetof(struct compat_gnttab_setup_table, status) == 8,
               "layout");
_Static_assert(offsetof(struct compat_gnttab_setup_table, frame_list) == 12,
               "layout");

/* GNTTABOP_copy: the ref / gmfn union is 32 bits (xen_pfn_t). */
struct compat_gnttab_copy_ptr {
    uint32_t u; /* grant_ref_t ref or xen_pfn_t gmfn */
    domid_t domid;
    uint16_t offset;
};
struct compat_gnttab_copy {
    struct compat_gnttab_copy_ptr source;
    struct compat_gnttab_copy_ptr dest;
    uint16_t len;
    uint16_t flags;
    int16_t status;
    uint16_t pad; /* i386 tail padding */
};
_Static_assert(sizeof(struct compat_gnttab_copy) == 24, "layout");
_Static_assert(offsetof(struct compat_gnttab_copy, dest) == 8, "layout");
_Static_assert(offsetof(struct compat_gnttab_copy, len) == 16, "layout");
_Static_assert(offsetof(struct compat_gnttab_copy, flags) == 18, "layout");
_Static_assert(offsetof(struct compat_gnttab_copy, status) == 20, "layout");

/* The 64-bit layouts, and those both modes share (no pointer-sized
 * field: query_size, set/get_version, map, unmap, swap). */
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "layout");
_Static_assert(offsetof(struct gnttab_setup_table, status) == 8, "layout");
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "layout");
_Static_assert(sizeof(struct gnttab_copy) == 40, "layout");
_Static_assert(offsetof(struct gnttab_copy, dest) == 16, "layout");
_Static_assert(offsetof(struct gnttab_copy, len) == 32, "layout");
_Static_assert(offsetof(struct gnttab_copy, status) == 36, "layout");
_Static_assert(sizeof(struct gnttab_query_size) == 16, "layout");
_Static_assert(sizeof(struct gnttab_set_version) == 4, "layout");
_Static_assert(sizeof(struct gnttab_get_version) == 8, "layout");
_Static_assert(offsetof(struct gnttab_get_version, version) == 4, "layout");
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "layout");
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "layout");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, status) == 20, "layout");
_Static_assert(sizeof(struct gnttab_swap_grant_ref) == 12, "layout");
_Static_assert(offsetof(struct gnttab_swap_grant_ref, status) == 8, "layout");

/* ---- memory_op, the rest (hv/memory_op.c) ---- */

/* XENMEM_set_memory_map: struct xen_memory_map follows the domid at the
 * 4-byte alignment of i386. */
struct compat_foreign_memory_map {
    domid_t domid;
    uint32_t nr_entries;
    uint32_t buffer;
};
_Static_assert(sizeof(struct compat_foreign_memory_map) == 12, "layout");
_Static_assert(offsetof(struct compat_foreign_memory_map, nr_entries) == 4,
               "layout");
_Static_assert(sizeof(struct xen_foreign_memory_map) == 24, "layout");
_Static_assert(offsetof(struct xen_foreign_memory_map, map) == 8, "layout");

/* XENMEM_{set,get}_pod_target: i386 aligns uint64_t to 4, so the struct
 * ends right after domid's padding to 4. */
struct compat_pod_target {
    uint64_t target_pages __attribute__((aligned(4)));
    uint64_t tot_pages __attribute__((aligned(4)));
    uint64_t pod_cache_pages __attribute__((aligned(4)));
    uint64_t pod_entries __attribute__((aligned(4)));
    domid_t domid;
} __attribute__((packed, aligned(4)));
_Static_assert(sizeof(struct compat_pod_target) == 36, "layout");
_Static_assert(offsetof(struct compat_pod_target, domid) == 32, "layout");
_Static_assert(sizeof(struct xen_pod_target) == 40, "layout");

/* XENMEM_access_op: pfn is uint64_aligned_t (8 in both modes), the two
 * handles 32 bits each. */
struct compat_mem_access_op {
    uint8_t op;
    uint8_t access;
    domid_t domid;
    uint32_t nr;
    uint64_t pfn;
    uint32_t pfn_list;
    uint32_t access_list;
};
_Static_assert(sizeof(struct compat_mem_access_op) == 24, "layout");
_Static_assert(offsetof(struct compat_mem_access_op, pfn) == 8, "layout");
_Static_assert(sizeof(struct xen_mem_access_op) == 32, "layout");
_Static_assert(offsetof(struct xen_mem_access_op, domid) == 2, "layout");

/* XENMEM_add_to_physmap_batch: three 32-bit handles; idxs are
 * compat_ulong_t and gpfns compat_pfn_t (32 bits), errs int in both. */
struct compat_add_to_physmap_batch {
    domid_t domid;
    uint16_t space;
    uint16_t size;
    uint16_t u; /* foreign_domid or res0 */
    uint32_t idxs;
    uint32_t gpfns;
    uint32_t errs;
};
_Static_assert(sizeof(struct compat_add_to_physmap_batch) == 20, "layout");
_Static_assert(offsetof(struct compat_add_to_physmap_batch, idxs) == 8,
               "layout");
_Static_assert(sizeof(struct xen_add_to_physmap_batch) == 32, "layout");
_Static_assert(offsetof(struct xen_add_to_physmap_batch, idxs) == 8, "layout");
_Static_assert(offsetof(struct xen_add_to_physmap_batch, errs) == 24, "layout");

/* XENMEM_reserved_device_memory_map: a 32-bit buffer handle, then the
 * 4-byte PCI device. */
struct compat_reserved_device_memory_map {
    uint32_t flags;
    uint32_t nr_entries;
    uint32_t buffer;
    physdev_pci_device_t pci;
};
_Static_assert(sizeof(struct compat_reserved_device_memory_map) == 16,
               "layout");
_Static_assert(offsetof(struct compat_reserved_device_memory_map, nr_entries) ==
                   4,
               "layout");
_Static_assert(sizeof(struct xen_reserved_device_memory_map) == 24, "layout");
_Static_assert(offsetof(struct xen_reserved_device_memory_map, nr_entries) == 4,
               "layout");

#endif /* XENEMU_COMPAT_H */
