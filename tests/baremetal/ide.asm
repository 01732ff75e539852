; IDE (ATA/ATAPI-6) PIO on the primary channel (0x1F0-0x1F7, 0x3F6), 32-bit protected mode,
; interrupts masked with nIEN: reset signature and status, IDENTIFY DEVICE (checksum, capacity),
; READ SECTORS (LBA28), WRITE SECTORS then read back, READ SECTORS EXT (LBA48), SET MULTIPLE MODE
; and READ MULTIPLE, FLUSH CACHE, an unknown command aborted, and an absent device 1.
; The disk (BareMetalIT makes it: 2048 sectors) holds in dword k of sector i the value i<<16 | k.
; Runs on qemu-system-i386 and Machina alike (BareMetalIT), with -drive file=DISK,format=raw,if=ide.
%include "lib.inc"
%include "pm.inc"
DATA   equ 0x1F0
ERROR  equ 0x1F1
COUNT  equ 0x1F2
LBA0   equ 0x1F3
LBA1   equ 0x1F4
LBA2   equ 0x1F5
DEVICE equ 0x1F6
STATUS equ 0x1F7
CTL    equ 0x3F6
BUF    equ 0x10000

PM32_ROM_START
  mov dx, CTL
  mov al, 2                                 ; nIEN
  out dx, al
  call wait_ready
  mov dx, STATUS
  in al, dx
  movzx eax, al
  CHECK "status-after-reset", 0x50
  mov dx, COUNT
  in al, dx
  mov ah, al
  mov dx, LBA0
  in al, dx
  shl eax, 8
  mov dx, LBA1
  in al, dx
  shl eax, 8
  mov dx, LBA2
  in al, dx
  and eax, 0xFFFFFFFF
  CHECK "ata-signature", 0x01010000

  ; IDENTIFY DEVICE
  mov dx, DEVICE
  mov al, 0xA0
  out dx, al
  mov dx, STATUS
  mov al, 0xEC
  out dx, al
  call wait_drq
  mov edi, BUF
  mov ecx, 256
  mov dx, DATA
  rep insw
  call wait_ready
  xor eax, eax
  xor ebx, ebx
  mov esi, BUF
  mov ecx, 512
.sum: lodsb
  add bl, al
  loop .sum
  mov eax, ebx
  CHECK "identify-checksum", 0
  movzx eax, byte [BUF + 510]
  CHECK "identify-signature-a5", 0xA5
  mov eax, [BUF + 120]                      ; words 60-61
  CHECK "identify-lba28-sectors", 2048
  movzx eax, word [BUF + 98]                ; word 49
  and eax, 0x0200
  CHECK "identify-lba-supported", 0x0200

  ; READ SECTORS, LBA 5, 2 sectors
  mov ebx, 5
  mov cl, 2
  mov al, 0x20
  call command28
  mov edi, BUF
  call read_sector
  call read_sector
  call wait_ready
  mov eax, [BUF]
  CHECK "read-sector5-first-dword", 0x00050000
  mov eax, [BUF + 512 + 4 * 127]
  CHECK "read-sector6-last-dword", 0x0006007F
  mov esi, BUF + 512
  call sector_sum
  CHECK "read-sector6-sum", (6 << 23) + 8128

  ; WRITE SECTORS, LBA 100, 1 sector of 0xC0DE0000 | k
  mov edi, BUF
  xor ecx, ecx
.fill: lea eax, [ecx + 0xC0DE0000]
  mov [edi + ecx * 4], eax
  inc ecx
  cmp ecx, 128
  jb .fill
  mov ebx, 100
  mov cl, 1
  mov al, 0x30
  call command28
  call wait_drq
  mov esi, BUF
  mov ecx, 256
  mov dx, DATA
  rep outsw
  call wait_ready
  mov dx, STATUS
  in al, dx
  movzx eax, al
  CHECK "write-status", 0x50
  mov al, 0xE7                              ; FLUSH CACHE
  mov dx, STATUS
  out dx, al
  call wait_ready
  mov dx, STATUS
  in al, dx
  movzx eax, al
  CHECK "flush-status", 0x50
  mov edi, BUF + 0x1000
  mov ebx, 100
  mov cl, 1
  mov al, 0x20
  call command28
  call read_sector
  call wait_ready
  mov eax, [BUF + 0x1000 + 4 * 99]
  CHECK "write-read-back", 0xC0DE0063

  ; READ SECTORS EXT, LBA 1000 (LBA48 registers written twice)
  mov dx, DEVICE
  mov al, 0x40
  out dx, al
  mov dx, COUNT
  xor al, al
  out dx, al
  mov dx, LBA0
  out dx, al
  mov dx, LBA1
  out dx, al
  mov dx, LBA2
  out dx, al
  mov dx, COUNT
  mov al, 1
  out dx, al
  mov dx, LBA0
  mov al, 1000 & 0xFF
  out dx, al
  mov dx, LBA1
  mov al, 1000 >> 8
  out dx, al
  mov dx, LBA2
  xor al, al
  out dx, al
  mov dx, STATUS
  mov al, 0x24
  out dx, al
  mov edi, BUF
  call read_sector
  call wait_ready
  mov eax, [BUF]
  CHECK "read-ext-lba1000", 1000 << 16

  ; SET MULTIPLE MODE 4, READ MULTIPLE 8 sectors from LBA 16
  mov dx, COUNT
  mov al, 4
  out dx, al
  mov dx, STATUS
  mov al, 0xC6
  out dx, al
  call wait_ready
  mov dx, STATUS
  in al, dx
  movzx eax, al
  CHECK "set-multiple-status", 0x50
  mov ebx, 16
  mov cl, 8
  mov al, 0xC4
  call command28
  mov edi, BUF
  call wait_drq
  mov ecx, 4 * 256
  mov dx, DATA
  rep insw
  call wait_drq
  mov ecx, 4 * 256
  mov dx, DATA
  rep insw
  call wait_ready
  mov eax, [BUF + 7 * 512]
  CHECK "read-multiple-sector23", 23 << 16

  ; an unknown command is aborted
  mov dx, STATUS
  mov al, 0xFE
  out dx, al
  call wait_ready
  mov dx, STATUS
  in al, dx
  movzx eax, al
  and al, 0xE9                              ; BSY DRDY DF DRQ ERR (bit 4 is command dependent)
  CHECK "unknown-command-status", 0x41
  mov dx, ERROR
  in al, dx
  movzx eax, al
  and al, 0x04
  CHECK "unknown-command-abrt", 0x04

  ; device 1 is absent
  mov dx, DEVICE
  mov al, 0xB0
  out dx, al
  mov dx, STATUS
  in al, dx
  movzx eax, al
  CHECK "absent-device1-status", 0
  mov dx, DEVICE
  mov al, 0xA0
  out dx, al
  call finish_32

; waits (bounded) until BSY is clear
wait_ready:
  push ecx
  push edx
  mov ecx, 1000000
  mov dx, STATUS
.w: in al, dx
  test al, 0x80
  jz .ok
  loop .w
.ok: pop edx
  pop ecx
  ret

; waits (bounded) until BSY is clear and DRQ set
wait_drq:
  push ecx
  push edx
  mov ecx, 1000000
  mov dx, STATUS
.w: in al, dx
  and al, 0x88
  cmp al, 0x08
  je .ok
  loop .w
.ok: pop edx
  pop ecx
  ret

; EBX = LBA28, CL = count, AL = command
command28:
  push eax
  call wait_ready
  mov dx, DEVICE
  mov eax, ebx
  shr eax, 24
  or al, 0xE0
  out dx, al
  mov dx, COUNT
  mov al, cl
  out dx, al
  mov dx, LBA0
  mov al, bl
  out dx, al
  mov dx, LBA1
  mov al, bh
  out dx, al
  mov dx, LBA2
  mov eax, ebx
  shr eax, 16
  out dx, al
  pop eax
  mov dx, STATUS
  out dx, al
  ret

; reads one sector to EDI (advanced)
read_sector:
  call wait_drq
  push ecx
  push edx
  mov ecx, 256
  mov dx, DATA
  rep insw
  pop edx
  pop ecx
  ret

; EAX = sum of the 128 dwords at ESI
sector_sum:
  push ecx
  push esi
  xor eax, eax
  mov ecx, 128
.s: add eax, [esi]
  add esi, 4
  loop .s
  pop esi
  pop ecx
  ret

  PM32_ROM_END
