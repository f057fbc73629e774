@area.cpm @feature.emv-cpm
Feature: EMV consumer-presented payloads carried end to end (EMV QRCPS CPM v1.0)
  The payer's wallet shows an EMV CPM payload: base64 of BER-TLV whose application template
  carries, in its transparent template 63, the chip data of the transaction (application
  cryptogram 9F26 with 9F27, 9F10, 9F36, 82 and 9F37), made with the profile's test keys. The
  acquirer's terminal forwards it as scanned, the switch routes it by its PAN, and only the
  issuer checks the cryptogram and that the ATC was not used before. Profile 1.1 on: in 1.0 a
  purchase cannot carry such a payload.

  @tc.CPM-30 @req.R-CPM-01 @req.R-CPM-06 @role.issuer
  Scenario: A peer acquirer's terminal takes an EMV payload from the SUT's wallet, whose cryptogram the SUT checks
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows an EMV payment code for that account
    Then the EMV payment code is well formed and its cryptogram verifies with the profile's test keys
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 470.00 CNY

  @tc.CPM-31 @req.R-CPM-05 @role.acquirer
  Scenario: The SUT's terminal forwards an EMV payload from the peer's wallet exactly as scanned
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows an EMV payment code for that account
    When the SUT's terminal scans the payment code for 4.35 CNY
    Then the SUT sent the switch one purchase carrying exactly that EMV payment code
    And the SUT reports the purchase as approved
    And the payer account at the peer holds 95.65 CNY

  @tc.CPM-32 @req.R-CPM-06 @role.issuer
  Scenario: The SUT declines with 74 an EMV payload whose cryptogram was altered in transit
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows an EMV payment code for that account
    When the peer acquirer's terminal scans the payment code, its 9F26 altered in transit, for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "74"
    And the payer account at the SUT holds 500.00 CNY

  @tc.CPM-33 @req.R-CPM-06 @role.issuer
  Scenario: The SUT declines with 74 an EMV payload whose template 63 was altered on the way (its unpredictable number changed)
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows an EMV payment code for that account
    When the peer acquirer's terminal scans the payment code, its 9F37 altered in transit, for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "74"
    And the payer account at the SUT holds 500.00 CNY

  @tc.CPM-34 @req.R-CPM-07 @role.issuer
  Scenario: The SUT declines with 72 a copy of an EMV payload already paid (its ATC replayed, its cryptogram valid)
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows an EMV payment code for that account
    And the peer acquirer's terminal was paid 10.00 CNY with that payment code
    When the peer acquirer's terminal scans the same payment code again for 10.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "72"
    And the payer account at the SUT holds 490.00 CNY

  @tc.CPM-35 @req.R-CPM-01 @req.R-CPM-05 @role.switch
  Scenario: The SUT switch routes an EMV payload by its PAN and passes it to the issuer unaltered
    Given a payer account at the bank-u holding 100.00 CNY
    And the bank-u's wallet shows an EMV payment code for that account
    When the peer acquirer's terminal scans the payment code for 12.00 CNY
    Then the bank-u received the EMV payment code exactly as the peer acquirer sent it
    And the peer acquirer reports the purchase as approved
    And the payer account at the bank-u holds 88.00 CNY

  @tc.CPM-36 @req.R-CPM-06 @role.issuer @feature.cpm-password
  Scenario: The SUT declines with 74, when asked for the payer's password, an EMV payload above the pin-free limit whose cryptogram was altered
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows an EMV payment code for that account
    When the peer acquirer's terminal scans the payment code, its 9F26 altered in transit, for 1500.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "74"
    And the payer account at the SUT holds 2000.00 CNY

  @tc.CPM-37 @req.R-CPM-01 @req.R-CPM-06 @role.issuer @feature.cpm-password
  Scenario: The payer confirms in the SUT's wallet an EMV payload above the pin-free limit
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier B
    And the SUT's wallet shows an EMV payment code for that account
    Then the EMV payment code is well formed and its cryptogram verifies with the profile's test keys
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    When the payer confirms the purchase with the password in the SUT's wallet
    Then the peer acquirer reports the purchase as approved once it has queried it
    And the payer account at the SUT holds 500.00 CNY
