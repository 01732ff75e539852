; Paging: 4 KiB and 4 MiB (PSE) pages, accessed/dirty bits in PTE and PDE, #PF error codes
; and CR2 for not-present and write-protect faults, CR0.WP in ring 0, INVLPG, and
; user/supervisor and read-only protection for ring-3 accesses (#PF error codes 5 and 7).
%include "lib.inc"
%include "pm.inc"
PD  equ 0x10000                          ; page directory
PT0 equ 0x11000                          ; page table for 0-4 MiB (identity)
PM32_ROM_START
  mov edi, PD                            ; clear the directory
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov edi, PT0                           ; identity map 0-4 MiB with 4 KiB user pages
  mov eax, 0x007
  mov ecx, 1024
.pt: stosd
  add eax, 0x1000
  loop .pt
  mov dword [PD + 0*4], PT0 | 0x007
  mov dword [PD + 1*4], 0x00800000 | 0x083   ; 4 MiB page: linear 4 MiB -> physical 8 MiB
  mov dword [PD + 2*4], 0x00800000 | 0x083   ; and linear 8 MiB -> physical 8 MiB (identity)
  mov dword [PT0 + 0x300*4], 0x00200000 | 0x003  ; linear 0x300000 -> physical 0x200000
  mov dword [PT0 + 0x301*4], 0x00201000 | 0x001  ; linear 0x301000 read-only
  mov dword [PT0 + 0x302*4], 0x00202000 | 0x003  ; linear 0x302000 supervisor only
  mov dword [PT0 + 0x303*4], 0x00203000 | 0x005  ; linear 0x303000 user read-only
  PAGING_ON PD
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
; ---- user/supervisor protection from ring 3
  mov edi, TSS1
  xor eax, eax
  mov ecx, 104 / 4
  rep stosd
  mov dword [TSS1 + 4], 0x6000           ; ESP0
  mov dword [TSS1 + 8], SEL_DATA32       ; SS0
  mov ax, SEL_TSS1
  ltr ax
  SET_GATE 0x80, h_back, 0xEE, SEL_CODE32
  mov dword [0x203000], 0x5EC0DE
  push dword SEL_UDATA | 3
  push dword 0x9000
  push dword 0x002
  push dword SEL_UCODE | 3
  push dword user
  iret
user:
  mov ax, SEL_UDATA | 3
  mov ds, ax
  mov es, ax
  EXPECT .a
  mov eax, [0x302010]
.a: mov eax, [LASTVEC]
  mov [0x700], eax
  mov eax, [LASTERR]
  mov [0x704], eax
  mov eax, [LASTCR2]
  mov [0x708], eax
  EXPECT .b
  mov dword [0x303020], 1
.b: mov eax, [LASTERR]
  mov [0x70C], eax
  mov eax, [LASTCR2]
  mov [0x710], eax
  EXPECT .c
  mov eax, [0x303000]
.c: mov [0x714], eax
  mov eax, [LASTVEC]
  mov [0x718], eax
  int 0x80
h_back:
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov esp, 0x7000
  mov eax, [0x700]
  CHECK "user-read-supervisor-pf-vector", 14
  mov eax, [0x704]
  CHECK "user-read-supervisor-pf-error", 5
  mov eax, [0x708]
  CHECK "user-read-supervisor-cr2", 0x302010
  mov eax, [0x70C]
  CHECK "user-write-readonly-pf-error", 7
  mov eax, [0x710]
  CHECK "user-write-readonly-cr2", 0x303020
  mov eax, [0x714]
  CHECK "user-read-readonly-ok", 0x5EC0DE
  mov eax, [0x718]
  CHECK "user-read-readonly-no-fault", 0xFF
  mov eax, [0x203020]
  CHECK "user-write-suppressed", 0
  mov eax, cr0                           ; paging off again, back to physical
  and eax, 0x7FFFFFFF
  mov cr0, eax
  mov eax, [0x400010]
  CHECK "paging-off-physical", 0
  call finish_32

  PM32_ROM_END
