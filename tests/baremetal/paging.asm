; Paging: 4 KiB and 4 MiB (PSE) pages, accessed/dirty bits in PTE and PDE, #PF error codes
; and CR2 for not-present and write-protect faults, CR0.WP in ring 0, INVLPG.
%include "lib.inc"
%include "pm.inc"
PD  equ 0x10000                          ; page directory
PT0 equ 0x11000                          ; page table for 0-4 MiB (identity)
bits 16
org 0
start:
  REAL_ENTRY
  PM_ENTER pm16
pm16:
  jmp dword SEL_CODE32:pm32
bits 32
pm32:
  PM32_SETUP
  mov edi, PD                            ; clear the directory
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov edi, PT0                           ; identity map 0-4 MiB with 4 KiB pages
  mov eax, 0x003
  mov ecx, 1024
.pt: stosd
  add eax, 0x1000
  loop .pt
  mov dword [PD + 0*4], PT0 | 0x003
  mov dword [PD + 1*4], 0x00800000 | 0x083   ; 4 MiB page: linear 4 MiB -> physical 8 MiB
  mov dword [PD + 2*4], 0x00800000 | 0x083   ; and linear 8 MiB -> physical 8 MiB (identity)
  mov dword [PT0 + 0x300*4], 0x00200000 | 0x003  ; linear 0x300000 -> physical 0x200000
  mov dword [PT0 + 0x301*4], 0x00201000 | 0x001  ; linear 0x301000 read-only
  mov eax, cr4
  or eax, 0x10                           ; PSE
  mov cr4, eax
  mov eax, PD
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  jmp .on
.on:
  mov eax, cr0
  shr eax, 31
  CHECK "paging-enabled", 1
  mov dword [0x200000], 0x11223344       ; through the identity mapping
  mov eax, [0x300000]                    ; through the remapped 4 KiB page
  CHECK "4k-page-alias", 0x11223344
  mov eax, [PT0 + 0x300*4]
  and eax, 0x60
  CHECK "4k-pte-accessed-not-dirty", 0x20
  mov dword [0x300004], 5
  mov eax, [PT0 + 0x300*4]
  and eax, 0x60
  CHECK "4k-pte-dirty-after-write", 0x60
  mov eax, [PD + 0*4]
  and eax, 0x20
  CHECK "pde-accessed", 0x20
  mov dword [0x400010], 0xA5A55A5A       ; through the 4 MiB page
  mov eax, [0x800010]
  CHECK "4m-page-alias", 0xA5A55A5A
  mov eax, [PD + 1*4]
  and eax, 0x60
  CHECK "4m-pde-accessed-dirty", 0x60
; ---- #PF not present: read and write
  EXPECT .r_np_r
  mov eax, [0xC00123]
.r_np_r:
  mov eax, [LASTVEC]
  CHECK "pf-read-vector", 14
  mov eax, [LASTERR]
  CHECK "pf-read-not-present-error", 0
  mov eax, [LASTCR2]
  CHECK "pf-read-cr2", 0xC00123
  EXPECT .r_np_w
  mov dword [0xC00456], 1
.r_np_w:
  mov eax, [LASTERR]
  CHECK "pf-write-not-present-error", 2
  mov eax, [LASTCR2]
  CHECK "pf-write-cr2", 0xC00456
; ---- WP: supervisor write to a read-only page succeeds with WP=0, faults with WP=1
  EXPECT .r_wp0
  mov dword [0x301008], 0x77
.r_wp0:
  mov eax, [LASTVEC]
  CHECK "wp0-supervisor-write-allowed", 0xFF
  mov eax, [0x201008]
  CHECK "wp0-write-landed", 0x77
  mov eax, cr0
  or eax, 0x10000
  mov cr0, eax
  EXPECT .r_wp1
  mov dword [0x30100C], 0x88
.r_wp1:
  mov eax, [LASTVEC]
  CHECK "wp1-pf-vector", 14
  mov eax, [LASTERR]
  CHECK "wp1-pf-error", 3
  mov eax, [LASTCR2]
  CHECK "wp1-cr2", 0x30100C
  mov eax, [0x20100C]
  CHECK "wp1-write-suppressed", 0
; ---- INVLPG: remap 0x300000 to physical 0x202000
  mov dword [0x202000], 0x600DF00D
  mov eax, [0x300000]                    ; make sure the old translation is cached
  mov dword [PT0 + 0x300*4], 0x00202000 | 0x003
  invlpg [0x300000]
  mov eax, [0x300000]
  CHECK "invlpg-new-mapping", 0x600DF00D
  mov dword [PT0 + 0x300*4], 0x00200000 | 0x003
  mov eax, cr3                           ; a CR3 write flushes too
  mov cr3, eax
  mov eax, [0x300000]
  CHECK "cr3-reload-new-mapping", 0x11223344
  mov eax, cr0                           ; paging off again, back to physical
  and eax, 0x7FFFFFFF
  mov cr0, eax
  mov eax, [0x400010]
  CHECK "paging-off-physical", 0
  call finish_32

  FAULT_STUBS
  GDT_TABLE
bits 32
  LIBRARY 32
  STRINGS
bits 16
  RESET_VECTOR start
