/* A countertop display on a Cortex-M0 (STM32F030-class registers, no vendor HAL): USART1 at 115200 8N1 with RX and
 * TX interrupts into ring buffers, SysTick as the millisecond clock, the protocol session of bkdisp, and the QR drawn
 * from SHOW_QR's text with bkd_qr. The panel driver is a stub (lcd_* below): replace it with yours. This file is the
 * main loop of PORTING.md on a microcontroller; build.sh compiles and links it (it is not run in CI). */
#include <stdint.h>
#include <string.h>

#include "bkd_qr.h"
#include "bkdisp.h"

/* ---- registers (STM32F0 reference manual RM0360) ---------------------------------------------------------------- */
#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHBENR REG(0x40021014u)
#define RCC_APB2ENR REG(0x40021018u)
#define GPIOA_MODER REG(0x48000000u)
#define GPIOA_AFRH REG(0x48000024u)
#define USART1_CR1 REG(0x40013800u)
#define USART1_BRR REG(0x4001380Cu)
#define USART1_ISR REG(0x4001381Cu)
#define USART1_ICR REG(0x40013820u)
#define USART1_RDR REG(0x40013824u)
#define USART1_TDR REG(0x40013828u)
#define NVIC_ISER REG(0xE000E100u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define UID_BASE 0x1FFFF7ACu /* 96-bit unique device id */

#define CPU_HZ 8000000u /* HSI after reset */
#define USART_RXNE (1u << 5)
#define USART_TXE (1u << 7)
#define USART_ORE (1u << 3)
#define USART_TXEIE (1u << 7)

/* ---- millisecond clock ------------------------------------------------------------------------------------------ */
static volatile uint32_t ticks;

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    ticks++;
}

static uint32_t clock_ms(void *ctx)
{
    (void)ctx;
    return ticks;
}

/* ---- UART: interrupt-driven rings. TX holds an answer and an event (321 + 51 bytes, SPEC.md section 8.1). ---------- */
#define RX_SIZE 256u
#define TX_SIZE 512u
static volatile uint8_t rx_ring[RX_SIZE], tx_ring[TX_SIZE];
static volatile uint16_t rx_head, rx_tail, tx_head, tx_tail;

void USART1_IRQHandler(void);
void USART1_IRQHandler(void)
{
    uint32_t isr = USART1_ISR;
    if (isr & USART_ORE) USART1_ICR = USART_ORE; /* an overrun loses bytes: the CRC and a retransmit recover */
    if (isr & USART_RXNE) {
        uint8_t b = (uint8_t)USART1_RDR;
        uint16_t next = (uint16_t)((rx_head + 1u) % RX_SIZE);
        if (next != rx_tail) {
            rx_ring[rx_head] = b;
            rx_head = next;
        }
    }
    if ((isr & USART_TXE) && (USART1_CR1 & USART_TXEIE)) {
        if (tx_tail != tx_head) {
            USART1_TDR = tx_ring[tx_tail];
            tx_tail = (uint16_t)((tx_tail + 1u) % TX_SIZE);
        } else {
            USART1_CR1 &= ~USART_TXEIE;
        }
    }
}

/* The session's writer: queue, never block (the main loop must keep answering). */
static void uart_write(void *ctx, const uint8_t *b, size_t n)
{
    size_t i;
    (void)ctx;
    for (i = 0; i < n; i++) {
        uint16_t next = (uint16_t)((tx_head + 1u) % TX_SIZE);
        if (next == tx_tail) break; /* full: sized so that it does not happen (one answer + one event) */
        tx_ring[tx_head] = b[i];
        tx_head = next;
    }
    USART1_CR1 |= USART_TXEIE;
}

static size_t uart_read(uint8_t *b, size_t cap)
{
    size_t n = 0;
    while (n < cap && rx_tail != rx_head) {
        b[n++] = rx_ring[rx_tail];
        rx_tail = (uint16_t)((rx_tail + 1u) % RX_SIZE);
    }
    return n;
}

static void hw_init(void)
{
    RCC_AHBENR |= 1u << 17;  /* GPIOA */
    RCC_APB2ENR |= 1u << 14; /* USART1 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (0xAu << 18);      /* PA9, PA10: alternate function */
    GPIOA_AFRH = (GPIOA_AFRH & ~(0xFFu << 4)) | (0x11u << 4);        /* AF1: USART1 TX, RX */
    USART1_BRR = (CPU_HZ + 115200u / 2u) / 115200u;                  /* 115200 baud, 8N1 (the reset default) */
    USART1_CR1 = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5);      /* UE, RE, TE, RXNEIE; no flow control */
    NVIC_ISER = 1u << 27;                                            /* USART1 interrupt */
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

/* ---- boot_id without an RNG (PORTING.md): RAM left from before the reset, a boot counter that survives resets,
 * the chip's unique id and the SysTick count since reset, mixed by CRC-32C. ---------------------------------------- */
static uint32_t noinit_words[32] __attribute__((section(".noinit")));
static uint32_t boot_counter __attribute__((section(".noinit")));

static uint32_t make_boot_id(void)
{
    uint32_t mix[4];
    uint32_t id;
    boot_counter++;
    mix[0] = bkd_crc32c((const uint8_t *)noinit_words, sizeof noinit_words);
    mix[1] = boot_counter;
    mix[2] = bkd_crc32c((const uint8_t *)UID_BASE, 12);
    mix[3] = SYST_CVR ^ ticks;
    id = bkd_crc32c((const uint8_t *)mix, sizeof mix);
    noinit_words[boot_counter % 32u] ^= id; /* differs next time even if RAM kept its contents */
    return id ? id : 1u;
}

/* ---- the panel: a stub. Replace with your driver (SPI TFT, e-paper, ...). --------------------------------------- */
#define LCD_REG REG(0x50000800u) /* a made-up command register: the example only has to link */
#define LCD_W 240
#define LCD_H 320

static void lcd_rect(int x, int y, int w, int h, int dark)
{
    LCD_REG = ((uint32_t)x << 20) ^ ((uint32_t)y << 10) ^ ((uint32_t)w << 5) ^ (uint32_t)h ^ (dark ? 0x80000000u : 0u);
}

static void lcd_text(int x, int y, const char *s)
{
    while (*s) LCD_REG = ((uint32_t)x++ << 16) | ((uint32_t)y << 8) | (uint8_t)*s++;
}

static void buzzer(uint8_t pattern, uint8_t repeat)
{
    LCD_REG = 0xB0000000u | ((uint32_t)pattern << 8) | repeat;
}

/* ---- the application ------------------------------------------------------------------------------------------ */
static bkd_dev dev;
static bkd_qr qr;                          /* the QR of the payment on screen, encoded when SHOW_QR arrives */
static uint8_t qr_work[BKD_QR_GRID_BYTES];
static int qr_ok;
static char merchant[97], line2[97], message[97], amount[28];

static void copy_str(char *dst, size_t cap, bkd_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = 0;
}

static void format_amount(uint64_t minor, uint8_t exponent, uint16_t currency)
{
    char digits[24];
    int n = 0, i, at = 0;
    do {
        digits[n++] = (char)('0' + (int)(minor % 10u));
        minor /= 10u;
    } while (minor > 0 || n <= exponent);
    for (i = n - 1; i >= 0; i--) {
        amount[at++] = digits[i];
        if (i == exponent && exponent > 0) amount[at++] = '.';
    }
    amount[at++] = ' ';
    if (currency == 116) memcpy(amount + at, "KHR", 4);
    else if (currency == 840) memcpy(amount + at, "USD", 4);
    else amount[at] = 0; /* another code: the amount without it, never an error (SPEC.md section 6.1) */
}

/* After the ACK: keep what the screens need. The QR is encoded here, once per payment. */
static void on_command(void *ctx, const bkd_msg *m)
{
    (void)ctx;
    switch (m->type) {
    case BKD_T_SHOW_IDLE:
        copy_str(merchant, sizeof merchant, m->u.show_idle.merchant_name);
        copy_str(line2, sizeof line2, m->u.show_idle.line2);
        break;
    case BKD_T_CLEAR:
        merchant[0] = line2[0] = 0;
        break;
    case BKD_T_SHOW_QR:
        copy_str(merchant, sizeof merchant, m->u.show_qr.merchant_name);
        format_amount(m->u.show_qr.amount_minor, m->u.show_qr.exponent, m->u.show_qr.currency);
        qr_ok = bkd_qr_encode(m->u.show_qr.qr.ptr, m->u.show_qr.qr.len, -1, qr_work, &qr) == 0;
        message[0] = 0;
        break;
    case BKD_T_SET_STATUS:
        copy_str(message, sizeof message, m->u.set_status.message);
        break;
    case BKD_T_SHOW_RESULT:
        copy_str(merchant, sizeof merchant, m->u.show_result.merchant_name);
        copy_str(message, sizeof message, m->u.show_result.message);
        format_amount(m->u.show_result.amount_minor, m->u.show_result.exponent, m->u.show_result.currency);
        break;
    default:
        break;
    }
}

static void draw_qr(void)
{
    int module = (LCD_W - 16) / (qr.size + 8), x0 = (LCD_W - module * qr.size) / 2, y0 = 40, x, y;
    lcd_rect(0, y0 - 4 * module, LCD_W, module * (qr.size + 8), 0); /* the quiet zone */
    for (y = 0; y < qr.size; y++) {
        for (x = 0; x < qr.size; x++) {
            if (bkd_qr_module(&qr, x, y)) lcd_rect(x0 + x * module, y0 + y * module, module, module, 1);
        }
    }
}

static void draw_seconds(void)
{
    char s[8];
    uint16_t left = bkd_dev_seconds_left(&dev);
    int i = 0;
    s[i++] = (char)('0' + left / 60u / 10u % 10u);
    s[i++] = (char)('0' + left / 60u % 10u);
    s[i++] = ':';
    s[i++] = (char)('0' + left % 60u / 10u);
    s[i++] = (char)('0' + left % 10u);
    s[i] = 0;
    lcd_text(LCD_W / 2 - 20, LCD_H - 20, s);
}

static void redraw(unsigned why)
{
    static const char *const results[] = {"", "", "PAID", "FAILED", "EXPIRED", "CANCELLED"};
    if (why & BKD_REDRAW_SCREEN) {
        lcd_rect(0, 0, LCD_W, LCD_H, 0);
        switch (dev.screen) {
        case BKD_SCREEN_IDLE:
            lcd_text(8, 8, merchant);
            lcd_text(8, 28, line2);
            break;
        case BKD_SCREEN_QR: /* the only place a QR is drawn: the session decides when (the result latch) */
            lcd_text(8, 8, merchant);
            lcd_text(8, 24, amount);
            if (qr_ok) draw_qr();
            draw_seconds();
            break;
        case BKD_SCREEN_STATUS:
            lcd_text(8, 8, merchant);
            lcd_text(8, 24, amount);
            lcd_text(8, 60, dev.status < 6 ? results[dev.status] : "");
            lcd_text(8, 80, message);
            break;
        default:
            break;
        }
    } else if ((why & BKD_REDRAW_COUNTDOWN) && dev.screen == BKD_SCREEN_QR) {
        draw_seconds();
    }
    if (why & (BKD_REDRAW_OFFLINE | BKD_REDRAW_SCREEN)) lcd_text(LCD_W - 60, 0, dev.offline ? "OFFLINE" : "       ");
    if (why & BKD_REDRAW_CONFIG) LCD_REG = 0xA0000000u | dev.brightness;
    if (why & BKD_REDRAW_BEEP) buzzer(dev.beep_pattern, dev.beep_repeat);
}

int main(void);
int main(void)
{
    bkd_dev_config cfg;
    hw_init();
    memset(&cfg, 0, sizeof cfg);
    cfg.now_ms = clock_ms;
    cfg.write = uart_write;
    cfg.on_command = on_command;
    cfg.boot_id = make_boot_id();
    cfg.reset_reason = 1; /* read RCC_CSR to tell power-on (1), watchdog (2), software (3), brown-out (4) */
    cfg.capabilities = BKD_CAP_QR | BKD_CAP_BEEP;
    cfg.fw_version = "1.1.0";
    cfg.model = "BKD-M0";
    cfg.serial = "M0000001";
    cfg.rto_ms = 290; /* 115200 baud: 250 + 2 x (BOOT 212 + ACK 15 bytes) x 86.8 us (SPEC.md section 8.2) */
    cfg.qr_max = (uint16_t)(bkd_qr_capacity() < BKD_QR_MAX ? bkd_qr_capacity() : BKD_QR_MAX);
    bkd_dev_init(&dev, &cfg);
    for (;;) {
        uint8_t b[64];
        size_t n = uart_read(b, sizeof b);
        unsigned why;
        if (n) bkd_dev_rx(&dev, b, n); /* answers at once, then on_command */
        (void)bkd_dev_poll(&dev);      /* retransmits, BOOT repeat, link lost, the countdown */
        why = bkd_dev_take_redraw(&dev);
        if (why) redraw(why);           /* commands, countdown seconds, the offline mark, config, beeps */
        if (rx_tail == rx_head) __asm__ volatile("wfi"); /* sleep until the next byte or SysTick */
    }
}

/* ---- start-up: vector table, .data/.bss set-up --------------------------------------------------------------- */
extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    for (;;) {
    }
}

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++) *dst = 0;
    (void)main();
    Default_Handler();
}

typedef union {
    void (*handler)(void);
    uint32_t *stack;
} vector;

#define V(h) {.handler = (h)}
__attribute__((section(".isr_vector"), used)) static const vector vectors[16 + 32] = {
    {.stack = &_estack}, V(Reset_Handler), V(Default_Handler), V(Default_Handler), /* SP, reset, NMI, HardFault */
    V(0), V(0), V(0), V(0), V(0), V(0), V(0), V(Default_Handler), V(0), V(0), V(Default_Handler),
    V(SysTick_Handler),
    [16 + 27] = V(USART1_IRQHandler),
};
