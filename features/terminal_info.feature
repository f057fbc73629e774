@area.cpm
Feature: Terminal information and true merchant fields in every CPM purchase (终端信息与商户信息真实)
  From profile 1.1 an acquirer sends, in every purchase its terminal makes, the information of
  the terminal it registered with the switch (termInfo, 银发〔2021〕259号): device type, serial
  number, IP address or location, and the encryption random factor, the last six digits of the
  payment code. The switch refuses a purchase from a terminal the acquirer did not register,
  and the switch and the issuer one whose random factor is wrong, with the profile's code
  (business.json terminal.refusal_code). The merchant fields are those the acquirer signed up,
  the MCC one of GB/T 20548 (codes/mcc.json).

  @tc.TERM-01 @req.R-CPM-09 @req.R-FLOW-19 @role.acquirer
  Scenario: The SUT's terminal sends its registered terminal's information and its declared merchant in a purchase
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 12.00 CNY
    Then the SUT's purchase carried the information of the terminal it registered
    And the SUT's purchase named the merchant and terminal its ICS declares
    And the SUT reports the purchase as approved
    And the payer account at the peer holds 88.00 CNY

  @tc.TERM-02 @req.R-CPM-09 @role.issuer
  Scenario: The SUT's wallet refuses a purchase whose random factor is not the payment code's last digits
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 10.00 CNY for that payment code, its random factor cut from the code's first digits
    Then the SUT answers with the profile's code for a terminal refused
    And the payer account at the SUT holds 100.00 CNY

  @tc.TERM-03 @req.R-CPM-09 @role.switch
  Scenario: The SUT switch refuses a purchase from a terminal the acquirer never registered
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer sends the SUT a purchase of 10.00 CNY for that payment code from a terminal it never registered
    Then the SUT answers with the profile's code for a terminal refused
    And the payer account at the wallet-w holds 100.00 CNY

  @tc.TERM-04 @req.R-CPM-09 @role.switch
  Scenario: The SUT switch refuses a purchase whose random factor is not the payment code's last digits, and relays nothing
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer sends the SUT a purchase of 10.00 CNY for that payment code, its random factor cut from the code's first digits
    Then the SUT answers with the profile's code for a terminal refused
    And the SUT relayed no purchase of it to the wallet-w
    And the payer account at the wallet-w holds 100.00 CNY

  @tc.TERM-05 @req.R-FLOW-19 @role.acquirer
  Scenario: The SUT's acquirer names, in its answer about its merchant code, the merchant the code shows
    Given a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    Then the SUT answers with response code "00"
    And the merchant in the SUT's answer is the one its merchant code shows
